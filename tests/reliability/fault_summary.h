// Bookkeeping around the fault matrix rows: per-row result files, the
// summary line, and the process set-up every row shares.
#pragma once

#include <string>

namespace cwsync::test {

// Called from each row's TearDown: remembers passed/failed/skipped for this
// process's summary and, with --results-dir, writes DIR/<name>.result.
void record_row(const std::string& name);

// main() of fault_matrix:
//   fault_matrix [gtest flags] [--results-dir DIR]   run rows (prints the summary of this run)
//   fault_matrix --reset-results DIR                  empty DIR (ctest fixture setup)
//   fault_matrix --summary DIR                        print the matrix summary from DIR;
//                                                     exit 1 if a row failed
int fault_matrix_main(int argc, char** argv);

}  // namespace cwsync::test
