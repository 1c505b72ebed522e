# --- checkpoint I/O (issue 17): checkpoints are written with collective transfers, in which
# every rank must take part even when it holds no row of a dataset. The deck has 2 cells in
# "inh", so on 3 and 4 ranks some ranks write nothing of it; the restart must still continue
# bit for bit (check_restart.sh: spikes equal to the uninterrupted 1-rank run).
set(ckpt_io_deck ${CMAKE_CURRENT_SOURCE_DIR}/decks/ckpt_io_few_cells.toml)
cajal_mpi_run(run_ckpt_io_few_cells_np1 1 run ${ckpt_io_deck} --output ${out}/ckpt_io_few_cells_np1 --overwrite
              --quiet)
set_tests_properties(run_ckpt_io_few_cells_np1 PROPERTIES FIXTURES_SETUP ckpt_io_few_cells_np1)
foreach(pair 3_2 4_1)
  string(REPLACE "_" ";" np ${pair})
  list(GET np 0 n1)
  list(GET np 1 n2)
  cajal_restart_test(restart_ckpt_io_few_cells_np${n1}_to_np${n2}
                     ${ckpt_io_deck} ${n1} ${n2} ckpt_io_few_cells_np1 200)
endforeach()
