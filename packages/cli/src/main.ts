/**
 * The `gantry` command. commands/: one file per command (parsing and printing only); roles/: what `up`,
 * `server`, `worker` and `agent` start (configuration, the store, the server, the worker); output/: how
 * results are printed; deploy/: the Helm chart's and image's tests. It may import every other package.
 */
import { Command, CommanderError } from "commander";
import { registerAgentCommand } from "./commands/agent.js";
import { registerApproveCommands } from "./commands/approve.js";
import { registerImportCommand } from "./commands/import.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerLogsCommand } from "./commands/logs.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerRerunCommand } from "./commands/rerun.js";
import { registerRoleCommands } from "./commands/roles.js";
import { registerRunCommand } from "./commands/run.js";
import { registerSchedulesCommand } from "./commands/schedules.js";
import { registerSecretsCommands } from "./commands/secrets.js";
import { registerValidateCommand } from "./commands/validate.js";
import { UsageError } from "./errors.js";

const program = new Command()
  .name("gantry")
  .description("Workflows as YAML in git: scheduled jobs, scripts, builds and deploys")
  .version("0.1.0")
  .showHelpAfterError("(run gantry help for usage)")
  .exitOverride();

registerRunCommand(program);
registerValidateCommand(program);
registerImportCommand(program);
registerSecretsCommands(program);
registerRoleCommands(program);
registerAgentCommand(program);
registerMigrateCommand(program);
registerLogsCommand(program);
registerKeysCommand(program);
registerSchedulesCommand(program);
registerRerunCommand(program);
registerApproveCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    process.stderr.write(`gantry: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    // Unexpected: still one line for the user; the stack only when asked for.
    process.stderr.write(`gantry: internal error: ${(error as Error).message}\n`);
    if (process.env.GANTRY_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 70;
  }
}
