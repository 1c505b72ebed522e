# --- SONATA network output (issue 20): `[output] network = true` writes <output>/network/.
# The files are the same on 1, 2 and 3 ranks (every dataset and attribute, and the text
# files), and their indices agree with the edges (each node's ranges hold exactly its
# edges, every edge once: the SONATA developer guide's definition). Decks: mixed_models
# (drawn weights and delays, three cell models, drawn initial values) and stdp_small
# (plastic weights as at the end of the run), 20 ms.
set(sonata_check ${CMAKE_CURRENT_SOURCE_DIR}/sonata/sonata_network_check.py)
foreach(deck mixed_models stdp_small)
  foreach(n 1 2 3)
    cajal_mpi_run(sonata_out_${deck}_np${n} ${n} run ${PROJECT_SOURCE_DIR}/inputs/${deck}.toml
                  --output ${out}/sonata_out_${deck}_np${n} --overwrite --quiet
                  --set simulation.t_stop=20 --set output.network=true)
    set_tests_properties(sonata_out_${deck}_np${n} PROPERTIES FIXTURES_SETUP sonata_out_${deck}_np${n})
  endforeach()
  foreach(n 2 3)
    add_test(NAME sonata_out_${deck}_np1_vs_np${n}
             COMMAND ${sonata_check} same ${out}/sonata_out_${deck}_np1/network ${out}/sonata_out_${deck}_np${n}/network)
    set_tests_properties(sonata_out_${deck}_np1_vs_np${n} PROPERTIES FIXTURES_REQUIRED "sonata_out_${deck}_np1;sonata_out_${deck}_np${n}")
  endforeach()
  add_test(NAME sonata_out_${deck}_index COMMAND ${sonata_check} index ${out}/sonata_out_${deck}_np3/network)
  set_tests_properties(sonata_out_${deck}_index PROPERTIES FIXTURES_REQUIRED sonata_out_${deck}_np3)
endforeach()
# Plastic weights as at the end of the run: the edges of the recorded targets are the
# synapses weights.h5 records, in its order, and syn_weight is its last sample (t_stop).
foreach(proj EE EI)
  add_test(NAME sonata_out_stdp_small_weights_${proj}
           COMMAND ${sonata_check} weights ${out}/sonata_out_stdp_small_np3/network ${out}/sonata_out_stdp_small_np3/weights.h5 ${proj})
  set_tests_properties(sonata_out_stdp_small_weights_${proj} PROPERTIES FIXTURES_REQUIRED sonata_out_stdp_small_np3)
endforeach()
