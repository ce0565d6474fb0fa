# install_units.cmake - run by `cmake --install` / cpack (packaging/CMakeLists.txt):
# the systemd units and the sample config, with the paths of the prefix the
# install goes to. /etc for the /usr prefix (FHS), <prefix>/etc otherwise.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(ISSU_SYSCONFDIR /etc)
else()
  set(ISSU_SYSCONFDIR ${CMAKE_INSTALL_PREFIX}/etc)
endif()
set(ISSU_SBINDIR ${CMAKE_INSTALL_PREFIX}/${ISSU_PKG_SBINDIR})
foreach(unit issud.service issud@.service)
  configure_file(${ISSU_PKG_SRC}/${unit}.in ${ISSU_PKG_BIN}/units/${unit} @ONLY)
endforeach()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES ${ISSU_PKG_BIN}/units/issud.service ${ISSU_PKG_BIN}/units/issud@.service)
if(EXISTS ${ISSU_PKG_SAMPLE})
  file(INSTALL DESTINATION "${ISSU_SYSCONFDIR}/issu-agent" TYPE FILE FILES ${ISSU_PKG_SAMPLE})
endif()
