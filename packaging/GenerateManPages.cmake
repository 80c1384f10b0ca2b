# Writes the man pages of the programs into OUT_DIR (gzipped, as installed)
# with help2man, from their own --help; run when installing (packaging/CMakeLists.txt).
#   cmake -DPROGRAMS=<path;path> -DOUT_DIR=<folder> -DVERSION=<x.y.z> -P GenerateManPages.cmake
# mri-enhance gets one page per subcommand too (mri-enhance-train.1, like
# git's), listed from `mri-enhance --help`, so new subcommands get theirs.
cmake_minimum_required(VERSION 3.25)

find_program(HELP2MAN help2man)
find_program(GZIP gzip)
if(NOT HELP2MAN OR NOT GZIP)
  message(FATAL_ERROR "help2man and gzip are needed for the man pages: apt install help2man")
endif()

set(bin ${OUT_DIR}/bin)
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${bin})
# Programs run by their bare name (from PATH) so their usage lines show it;
# offscreen for mri-studio, passive thread waiting so mri-enhance does not re-execute itself.
set(run_env ${CMAKE_COMMAND} -E env "PATH=${OUT_DIR}/programs:$ENV{PATH}" QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=passive)
# help2man reads the help texts saved in ${bin} (see write_page).
set(help2man_env ${CMAKE_COMMAND} -E env "PATH=${bin}:$ENV{PATH}")

# The one-line summary of a help text: its first line that is not the usage,
# without "program: " and the final full stop, first letter lower case
# unless it starts an abbreviation (PSNR, MRI).
function(help_summary help_text program out_var)
  string(REPLACE ";" "," lines "${help_text}")
  string(REPLACE "\n" ";" lines "${lines}")
  set(summary "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^Usage:")
      continue()
    endif()
    set(summary "${line}")
    break()
  endforeach()
  string(REGEX REPLACE "^${program}: *" "" summary "${summary}")
  string(REGEX REPLACE "\\.$" "" summary "${summary}")
  if(summary MATCHES "^[A-Z][a-z]")
    string(SUBSTRING "${summary}" 0 1 first)
    string(SUBSTRING "${summary}" 1 -1 rest)
    string(TOLOWER "${first}" first)
    set(summary "${first}${rest}")
  endif()
  set(${out_var} "${summary}" PARENT_SCOPE)
endfunction()

# help2man NAME into NAME.1.gz, with a SEE ALSO section. NAME is a script in
# ${bin} that prints HELP_TEXT (each program runs once for its help; help2man
# gets the version from --version-string).
function(write_page name help_text summary see_also)
  # CLI11 writes "-h,--help"; help2man marks up both names only with a space.
  string(REGEX REPLACE "\n( +-[A-Za-z]),--" "\n\\1, --" help_text "${help_text}")
  file(WRITE ${OUT_DIR}/${name}.help "${help_text}")
  set(script ${bin}/${name})
  file(WRITE ${script} "#!/bin/sh\nexec cat '${OUT_DIR}/${name}.help'\n")
  file(CHMOD ${script} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(include_file ${OUT_DIR}/${name}.h2m)
  file(WRITE ${include_file} "[SEE ALSO]\n${see_also}\n")
  execute_process(
    COMMAND ${help2man_env} ${HELP2MAN} --no-info --section=1 "--version-string=${name} ${VERSION}"
            "--name=${summary}" "--source=MRI Enhance Studio ${VERSION}" "--manual=User Commands"
            "--include=${include_file}" "--output=${OUT_DIR}/${name}.1" ${name}
    RESULT_VARIABLE result ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "help2man failed on ${name}: ${errors}")
  endif()
  execute_process(COMMAND ${GZIP} -9nf ${OUT_DIR}/${name}.1 RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "gzip failed on ${name}.1")
  endif()
endfunction()

# The programs run by their bare name from ${OUT_DIR}/programs.
set(names "")
file(MAKE_DIRECTORY ${OUT_DIR}/programs)
foreach(program IN LISTS PROGRAMS)
  get_filename_component(name ${program} NAME)
  file(CREATE_LINK ${program} ${OUT_DIR}/programs/${name} SYMBOLIC)
  list(APPEND names ${name})
endforeach()

foreach(name IN LISTS names)
  execute_process(COMMAND ${run_env} ${name} --help OUTPUT_VARIABLE help ERROR_QUIET RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${name} --help failed (${result})")
  endif()
  help_summary("${help}" ${name} summary)

  # Subcommands: the names listed under "Subcommands:" (CLI11's help).
  set(subcommands "")
  set(in_list FALSE)
  string(REPLACE ";" "," lines "${help}")
  string(REPLACE "\n" ";" lines "${lines}")
  foreach(line IN LISTS lines)
    if(line MATCHES "^Subcommands:")
      set(in_list TRUE)
    elseif(in_list AND line MATCHES "^  +([a-z][a-z0-9-]*)( |$)")
      list(APPEND subcommands ${CMAKE_MATCH_1})
    elseif(in_list AND NOT line MATCHES "^ ")
      set(in_list FALSE)
    endif()
  endforeach()

  set(see_also "")
  foreach(sub IN LISTS subcommands)
    string(APPEND see_also ".BR ${name}-${sub} (1),\n")
  endforeach()
  foreach(other IN LISTS names)
    if(NOT other STREQUAL name)
      string(APPEND see_also ".BR ${other} (1),\n")
    endif()
  endforeach()
  string(REGEX REPLACE ",\n$" "" see_also "${see_also}")
  write_page(${name} "${help}" "${summary}" "${see_also}")

  foreach(sub IN LISTS subcommands)
    execute_process(COMMAND ${run_env} ${name} ${sub} --help OUTPUT_VARIABLE sub_help ERROR_QUIET RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${name} ${sub} --help failed (${result})")
    endif()
    help_summary("${sub_help}" ${name} sub_summary)
    write_page(${name}-${sub} "${sub_help}" "${sub_summary}" ".BR ${name} (1)")
  endforeach()
endforeach()
file(REMOVE_RECURSE ${bin} ${OUT_DIR}/programs)
file(GLOB scratch ${OUT_DIR}/*.h2m ${OUT_DIR}/*.help)
file(REMOVE ${scratch})
