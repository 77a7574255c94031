// The PSA list machinery shared by every Manage collection endpoint:
// conditions, orderBy, fields, page/pageSize, Link header and forward-only
// paging.
#pragma once

#include "http_util.h"
#include "store.h"

#include <string>
#include <vector>

namespace cwsim {

// Lists `rows` (call with store.mu held). `known` are the field paths the
// conditions/orderBy may name; unknown ones give 400 like Manage does.
Response psa_list(const Request& req, std::vector<const Json*> rows, const std::vector<std::string>& known);
// `{"count":N}`: how many of `rows` match the request's conditions (the
// `/count` endpoints). Call with store.mu held.
Response psa_count(const Request& req, std::vector<const Json*> rows, const std::vector<std::string>& known);
// One object, honouring fields=.
Response psa_object(const Request& req, const Json& obj, int status = 200);

}  // namespace cwsim
