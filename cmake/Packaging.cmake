# Installation layout and the Debian package (cpack -G DEB).
#
#   cmake --build build && (cd build && cpack -G DEB)
#   → build/cwsync_<version>_amd64.deb
#
# Only the `runtime` component is packaged: the cwsync binary, the systemd
# unit, sysusers/tmpfiles snippets, example config and env file, and docs.
# Test tools (cwsim) are never installed. Paths follow Debian 12: the unit in
# /lib/systemd/system, sysusers/tmpfiles in /usr/lib, examples in /etc/cwsync.
# CWSYNC_SYSTEMD_UNIT_DIR etc. can be overridden for other distributions.

set(CWSYNC_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd unit is installed")
set(CWSYNC_SYSUSERS_DIR "/usr/lib/sysusers.d" CACHE PATH "Where the sysusers.d snippet is installed")
set(CWSYNC_TMPFILES_DIR "/usr/lib/tmpfiles.d" CACHE PATH "Where the tmpfiles.d snippet is installed")
set(CWSYNC_CONFIG_DIR "/etc/cwsync" CACHE PATH "Where the example config is installed")

install(FILES ${PROJECT_SOURCE_DIR}/systemd/cwsync.service
              ${PROJECT_SOURCE_DIR}/systemd/cwsync@.service
        DESTINATION ${CWSYNC_SYSTEMD_UNIT_DIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/cwsync.sysusers.conf
        DESTINATION ${CWSYNC_SYSUSERS_DIR} RENAME cwsync.conf COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/cwsync.tmpfiles.conf
        DESTINATION ${CWSYNC_TMPFILES_DIR} RENAME cwsync.conf COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/cwsync.env.example
        DESTINATION ${CWSYNC_CONFIG_DIR} COMPONENT runtime)
if(EXISTS ${PROJECT_SOURCE_DIR}/examples/cwsync.yaml)
  install(FILES ${PROJECT_SOURCE_DIR}/examples/cwsync.yaml
          DESTINATION ${CWSYNC_CONFIG_DIR} RENAME cwsync.yaml.example COMPONENT runtime)
endif()
foreach(doc README.md docs/operations.md docs/schema.md docs/config.md docs/logging.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${doc})
    install(FILES ${PROJECT_SOURCE_DIR}/${doc}
            DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
  endif()
endforeach()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "cwsync")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "cwsync")
set(CPACK_PACKAGE_CONTACT "cwsync maintainers <cwsync@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# Relative destinations land under /usr; the absolute ones (/lib/systemd,
# /etc/cwsync) are staged as they are.
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")

# One package holding only the runtime component.
set(CPACK_COMPONENTS_ALL runtime)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)

set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")       # cwsync_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)          # Depends: from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")     # postinst fallback without systemd
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, jq")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "ConnectWise CPQ/PSA sync daemon with a local SQLite cache\n cwsync keeps a local SQLite copy of ConnectWise CPQ quotes and pipeline data\n for dashboards, and delivers queued PSA notes, status changes and time\n entries with retries and an activity log.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/cmake/deb/postinst;${PROJECT_SOURCE_DIR}/cmake/deb/prerm;${PROJECT_SOURCE_DIR}/cmake/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
