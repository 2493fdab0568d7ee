# cmake -DOUTPUT=<file.cpp> -DSOURCES=<a.md;b.md> -P doc_snippets.cmake
#
# Writes every ```cpp block of the given Markdown files into one .cpp that a
# test compiles, so the code the docs show cannot drift from the library.
# A block with `int main(` is a whole program: it compiles as written (its
# main renamed). Any other block is a fragment: it compiles as the body of a
# function that sees the names of tests/doc_snippet_prelude.hpp (`ds`, `dst`,
# `old_kv`, `new_kv`, `sink`, `metrics`, `kv`). `#include` lines go to the
# top of the file. A block whose preceding line is
# `<!-- doc-snippet: std::views -->` uses the standard view adaptors, which
# Clang before 16 cannot compile with libstdc++: it is skipped there.

set(out "// Generated from the Markdown docs by tests/doc_snippets.cmake: do not edit.\n")
string(APPEND out "#include \"doc_snippet_prelude.hpp\"\n")
set(body "")
set(count 0)
foreach(source IN LISTS SOURCES)
  # One list element per line: semicolons and brackets, which a CMake list
  # would split on, are kept as markers and restored when written.
  file(READ "${source}" content)
  string(REPLACE ";" "__DS_SEMI__" content "${content}")
  string(REPLACE "[" "__DS_LB__" content "${content}")
  string(REPLACE "]" "__DS_RB__" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(in_block FALSE)
  set(previous "")
  set(line_number 0)
  foreach(line IN LISTS lines)
    math(EXPR line_number "${line_number} + 1")
    if(NOT in_block AND line MATCHES "^```cpp[ ]*$")
      set(in_block TRUE)
      set(block "")
      set(block_line ${line_number})
      set(views FALSE)
      if(previous MATCHES "doc-snippet: std::views")
        set(views TRUE)
      endif()
    elseif(in_block AND line MATCHES "^```[ ]*$")
      set(in_block FALSE)
      math(EXPR count "${count} + 1")
      get_filename_component(name "${source}" NAME)
      string(APPEND body "\n// ${name}, the block at line ${block_line}\n")
      if(views)
        string(APPEND body "#if !defined(__clang__) || __clang_major__ >= 16\n")
      endif()
      if(block MATCHES "int main\\(")
        string(REPLACE "int main(" "int main_(" block "${block}")
        string(APPEND body "namespace snippet_${count} {\n${block}}  // namespace snippet_${count}\n")
      else()
        string(APPEND body "namespace snippet_${count} {\nusing namespace doc_prelude;\n"
                           "[[maybe_unused]] void run() {\n${block}}\n}  // namespace snippet_${count}\n")
      endif()
      if(views)
        string(APPEND body "#endif\n")
      endif()
    elseif(in_block)
      if(line MATCHES "^#include ")
        string(APPEND out "${line}\n")
      else()
        string(APPEND block "${line}\n")
      endif()
    endif()
    if(NOT line STREQUAL "")
      set(previous "${line}")
    endif()
  endforeach()
  if(in_block)
    message(FATAL_ERROR "${source}: a ```cpp block that is never closed (line ${block_line})")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no ```cpp block in ${SOURCES}")
endif()
string(APPEND out "${body}")
string(REPLACE "__DS_SEMI__" ";" out "${out}")
string(REPLACE "__DS_LB__" "[" out "${out}")
string(REPLACE "__DS_RB__" "]" out "${out}")
# Rewritten only when the content changes: no needless rebuilds.
file(WRITE "${OUTPUT}.new" "${out}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
message(STATUS "${count} C++ blocks of the docs in ${OUTPUT}")
