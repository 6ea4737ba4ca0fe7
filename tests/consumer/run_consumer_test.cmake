# Installs the built library into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(faisslike).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
  set(out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build"
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer" "${WORK_DIR}/idmap2.index")
# The inspector installed with the library reads what the consumer wrote.
run("${WORK_DIR}/prefix/bin/faisslike-inspect" "${WORK_DIR}/idmap2.index")
if(NOT out MATCHES "IndexIDMap2 \\[IxM2\\] d=4 metric=L2 ntotal=3")
  message(FATAL_ERROR "faisslike-inspect printed:\n${out}")
endif()
