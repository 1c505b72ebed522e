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

# --- SONATA network input (rule = "sonata").
# Round trip: sonata_rt.toml's network written at t = 0 (initial plastic weights), read
# back by sonata_rt_read.toml (copied beside it, every projection from edges.h5 with its
# edge types), gives the spikes of sonata_rt.toml itself bit for bit, on 1 and 3 ranks.
set(rt ${out}/sonata_rt)
add_test(NAME sonata_rt_write
         COMMAND bash -c "rm -rf \"$2\" && \"$0\" run \"$1/sonata_rt.toml\" --output \"$2/written\" --quiet --set simulation.t_stop=0 --set output.network=true && cp \"$1/sonata_rt_read.toml\" \"$2/written/\""
                 ${cajal_exe} ${CMAKE_CURRENT_SOURCE_DIR}/decks ${rt})
set_tests_properties(sonata_rt_write PROPERTIES FIXTURES_SETUP sonata_rt_written)
cajal_mpi_run(sonata_rt_direct 1 run ${CMAKE_CURRENT_SOURCE_DIR}/decks/sonata_rt.toml --output ${rt}/direct --overwrite --quiet)
set_tests_properties(sonata_rt_direct PROPERTIES FIXTURES_SETUP sonata_rt_direct)
foreach(n 1 3)
  cajal_mpi_run(sonata_rt_read_np${n} ${n} run ${rt}/written/sonata_rt_read.toml --output ${rt}/read_np${n} --overwrite --quiet)
  set_tests_properties(sonata_rt_read_np${n} PROPERTIES FIXTURES_REQUIRED sonata_rt_written FIXTURES_SETUP sonata_rt_read_np${n})
  add_test(NAME sonata_rt_spikes_np${n} COMMAND spikecheck equal ${rt}/direct/spikes.h5 ${rt}/read_np${n}/spikes.h5)
  set_tests_properties(sonata_rt_spikes_np${n} PROPERTIES FIXTURES_REQUIRED "sonata_rt_direct;sonata_rt_read_np${n}")
endforeach()

# An edge file written by h5py alone (tests/sonata/sonata_h5py_net.py): loaded on 1 and 3
# ranks, the network Cajal builds (written out with [output] network) has exactly its
# edges (sources, targets, weights, delays, in-degrees), with and without the index, and
# the spikes agree between 1 and 3 ranks.
set(h5net ${CMAKE_CURRENT_SOURCE_DIR}/sonata/sonata_h5py_net.py)
set(h5dir ${out}/sonata_h5py)
add_test(NAME sonata_h5py_gen
         COMMAND bash -c "rm -rf \"$2\" && \"$0\" gen \"$2\" && cp \"$1\" \"$2/\""
                 ${h5net} ${CMAKE_CURRENT_SOURCE_DIR}/decks/sonata_h5py.toml ${h5dir})
set_tests_properties(sonata_h5py_gen PROPERTIES FIXTURES_SETUP sonata_h5py_gen)
foreach(n 1 3)
  cajal_mpi_run(sonata_h5py_run_np${n} ${n} run ${h5dir}/sonata_h5py.toml --output ${h5dir}/out_np${n} --overwrite --quiet
                --set output.network=true)
  set_tests_properties(sonata_h5py_run_np${n} PROPERTIES FIXTURES_REQUIRED sonata_h5py_gen FIXTURES_SETUP sonata_h5py_np${n})
  add_test(NAME sonata_h5py_edges_np${n} COMMAND ${h5net} check ${h5dir} ${h5dir}/out_np${n}/network)
  set_tests_properties(sonata_h5py_edges_np${n} PROPERTIES FIXTURES_REQUIRED sonata_h5py_np${n})
endforeach()
add_test(NAME sonata_h5py_spikes_np1_vs_np3 COMMAND spikecheck equal ${h5dir}/out_np1/spikes.h5 ${h5dir}/out_np3/spikes.h5)
set_tests_properties(sonata_h5py_spikes_np1_vs_np3 PROPERTIES FIXTURES_REQUIRED "sonata_h5py_np1;sonata_h5py_np3")

# Bad SONATA input: exit status 2, one line naming the file, the dataset and what is wrong.
foreach(case missing_file not_hdf5 no_population missing_dataset float_ids wrong_shape two_d id_out_of_range
             index_inconsistent delay_off_grid wrong_population nan_weight unknown_model
             node_outside_box node_missing_z node_type_unknown node_model_unknown)
  foreach(n 1 2)
    add_test(NAME sonata_bad_${case}_np${n}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sonata/check_sonata_bad.sh ${cajal_exe} ${MPIEXEC_EXECUTABLE} ${n} ${case}
                     ${CMAKE_CURRENT_SOURCE_DIR}/decks/sonata_h5py.toml ${h5net})
    set_tests_properties(sonata_bad_${case}_np${n} PROPERTIES PROCESSORS ${n})
  endforeach()
endforeach()

# A restart of a deck with SONATA inputs (the deck is parsed again and the files read
# again): 20 ms on 2 ranks with a checkpoint at the end, restarted to 50 ms on 3 ranks,
# gives the spikes of the uninterrupted run.
cajal_mpi_run(sonata_h5py_half_np2 2 run ${h5dir}/sonata_h5py.toml --output ${h5dir}/half --overwrite --quiet
              --set simulation.t_stop=20 --set checkpoint.at_end=true)
set_tests_properties(sonata_h5py_half_np2 PROPERTIES FIXTURES_REQUIRED sonata_h5py_gen FIXTURES_SETUP sonata_h5py_half)
add_test(NAME sonata_h5py_restart_np3
         COMMAND bash -c "rm -rf \"$3\" && \"$0\" --oversubscribe -q -n 3 \"$1\" restart \"$2\" --set simulation.t_stop=50 --output \"$3\" --quiet"
                 ${MPIEXEC_EXECUTABLE} ${cajal_exe} ${h5dir}/half/checkpoints ${h5dir}/restarted)
set_tests_properties(sonata_h5py_restart_np3 PROPERTIES PROCESSORS 3)
set_tests_properties(sonata_h5py_restart_np3 PROPERTIES FIXTURES_REQUIRED sonata_h5py_half FIXTURES_SETUP sonata_h5py_restarted)
add_test(NAME sonata_h5py_restart_spikes COMMAND spikecheck equal ${h5dir}/out_np1/spikes.h5 ${h5dir}/restarted/spikes.h5)
set_tests_properties(sonata_h5py_restart_spikes PROPERTIES FIXTURES_REQUIRED "sonata_h5py_np1;sonata_h5py_restarted")

# Per-cell values through SONATA: percell_network.toml's per-cell E_L, V_th, V_m, I_e are
# written as node attributes and read back into Param::per_cell; 100 ms, 1 and 3 ranks,
# the spikes of the original deck bit for bit.
set(pc ${out}/sonata_percell)
add_test(NAME sonata_percell_write
         COMMAND bash -c "rm -rf \"$3\" && \"$0\" run \"$1\" --output \"$3/written\" --quiet --set simulation.t_stop=0 --set output.network=true && cp \"$2\" \"$3/written/\""
                 ${cajal_exe} ${CMAKE_CURRENT_SOURCE_DIR}/decks/percell/percell_network.toml
                 ${CMAKE_CURRENT_SOURCE_DIR}/decks/sonata_percell_read.toml ${pc})
set_tests_properties(sonata_percell_write PROPERTIES FIXTURES_SETUP sonata_percell_written)
cajal_mpi_run(sonata_percell_direct 1 run ${CMAKE_CURRENT_SOURCE_DIR}/decks/percell/percell_network.toml
              --output ${pc}/direct --overwrite --quiet --set simulation.t_stop=100)
set_tests_properties(sonata_percell_direct PROPERTIES FIXTURES_SETUP sonata_percell_direct)
foreach(n 1 3)
  cajal_mpi_run(sonata_percell_read_np${n} ${n} run ${pc}/written/sonata_percell_read.toml --output ${pc}/read_np${n} --overwrite --quiet)
  set_tests_properties(sonata_percell_read_np${n} PROPERTIES FIXTURES_REQUIRED sonata_percell_written FIXTURES_SETUP sonata_percell_read_np${n})
  add_test(NAME sonata_percell_spikes_np${n} COMMAND spikecheck equal ${pc}/direct/spikes.h5 ${pc}/read_np${n}/spikes.h5)
  set_tests_properties(sonata_percell_spikes_np${n} PROPERTIES FIXTURES_REQUIRED "sonata_percell_direct;sonata_percell_read_np${n}")
endforeach()
