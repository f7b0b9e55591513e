# build_ui.cmake: the console's build step (cmake -P): npm ci into
# WORK/npm when the lockfile changed, bundle with build.mjs into WORK/dist,
# then embed.cmake writes OUT.  A failing npm or node step is reported and
# leaves the "console not built" page instead of failing the build.

set(NPMDIR "${WORK}/npm")
set(NOTE "")
set(stamp "${NPMDIR}/node_modules/.package-lock.json")
if(NOT EXISTS "${stamp}" OR "${SRC}/package-lock.json" IS_NEWER_THAN "${stamp}")
  file(MAKE_DIRECTORY "${NPMDIR}")
  file(COPY "${SRC}/package.json" "${SRC}/package-lock.json" DESTINATION "${NPMDIR}")
  execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY "${NPMDIR}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    set(NOTE "npm ci in ${NPMDIR} failed (${rc}); is the npm registry reachable?")
  endif()
endif()
if(NOT NOTE)
  execute_process(COMMAND "${NODE}" "${SRC}/build.mjs" --out "${WORK}/dist"
                          --modules "${NPMDIR}/node_modules"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    set(NOTE "the console bundle (node ui/build.mjs) failed (${rc})")
  endif()
endif()
if(NOTE)
  message(WARNING "stepd web console not built: ${NOTE}. stepd serves a 'console not built' page at /ui/.")
  set(DIST "")
else()
  set(DIST "${WORK}/dist")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/embed.cmake")
