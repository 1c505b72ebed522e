# Streamed state reports and weight recordings (src/io/sample_file.hpp): a rank's memory
# does not grow with the samples of a run (a report 4x longer: peak growth under a tenth of
# what holding it would cost), and a run stopped by SIGTERM leaves its report and weights
# unfinished, then continues them on 3 ranks bit for bit (stream/check_stream.sh).
add_test(NAME stream_reports_and_weights
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/stream/check_stream.sh ${cajal_exe} ${MPIEXEC_EXECUTABLE}
                 $<TARGET_FILE:spikecheck> $<TARGET_FILE:reportcheck> $<TARGET_FILE:weightcheck>
                 ${PROJECT_SOURCE_DIR}/inputs/stdp_small.toml)
set_tests_properties(stream_reports_and_weights PROPERTIES PROCESSORS 2)
