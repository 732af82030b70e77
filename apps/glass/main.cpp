// The glass command: thin subcommands over the library.
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "glass/util/allocator.h"

int main(int argc, char** argv) {
  // Tensors freed between network calls stay in the process (glass/util/allocator.h);
  // GLASS_MALLOC_DEFAULTS=1 keeps glibc's defaults, for side-by-side measurements.
  const char* defaults = std::getenv("GLASS_MALLOC_DEFAULTS");
  if (!(defaults && std::string(defaults) == "1")) glass::keep_freed_memory();
  CLI::App app{"glass: transition sampling and reward alignment for flow and diffusion models"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("glass: error: ") + e.what() + " (see --help)\n";
  });
  glass::cli::add_sample_command(app);
  glass::cli::add_transition_command(app);
  glass::cli::add_presets_command(app);
  glass::cli::add_train_command(app);
  glass::cli::add_distill_command(app);
  glass::cli::add_align_command(app);
  glass::cli::add_experiment_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const c10::Error& e) {
    std::cerr << "glass: error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "glass: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
