// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the table names Rundeck's and Gantry's expressions
import { defineFeatures } from "../report/features.js";

/** Rundeck job definition features (XML and YAML exports) and what each becomes. */
export const RUNDECK_FEATURES = defineFeatures({
  job: {
    source: "a job (<job> in XML, a list entry in YAML)",
    gantry: "one workflow, named after the job, with on.manual",
    outcome: "converted",
  },
  "several-jobs": {
    source: "several jobs in one export",
    gantry: "one workflow per job",
    outcome: "converted",
  },
  "name-group": {
    source: "name, group, description, uuid",
    gantry: "the workflow's name and description; the uuid as RD_JOB_ID when a script reads it",
    outcome: "converted",
  },
  schedule: {
    source: "schedule (Quartz crontab, or time/weekday/dayofmonth/month)",
    gantry:
      "on.schedule[].cron: seconds kept when not 0, '?' as '*', days of the week renumbered (Quartz 1-7 from Sunday to 0-6), L, W and # kept",
    outcome: "converted",
  },
  "schedule-year": {
    source: "schedule year other than *",
    gantry: "on.schedule[].cron without the year",
    outcome: "difference",
    note: "Gantry's cron has no year: the schedule fires every year, so suspend it when that year is over",
  },
  "schedule-unreadable": {
    source: "a schedule Gantry's cron cannot express (L-3, an unknown field)",
    gantry: "write an equivalent cron by hand",
    outcome: "manual",
  },
  "schedule-enabled": {
    source: "scheduleEnabled: false",
    gantry: "on.schedule[].suspend: true",
    outcome: "converted",
  },
  "execution-disabled": {
    source: "executionEnabled: false",
    gantry:
      "remove the workflow, or allow no one to run it (roles and scopes in gantry.yaml): Gantry cannot disable one workflow's runs",
    outcome: "manual",
  },
  "time-zone": {
    source: "timeZone",
    gantry: "on.schedule[].timezone",
    outcome: "converted",
  },
  "no-time-zone": {
    source: "a schedule without timeZone",
    gantry: "on.schedule[].timezone left out (UTC)",
    outcome: "difference",
    note: "Rundeck uses the server's time zone, Gantry UTC: set timezone if your Rundeck server's was not UTC",
  },
  option: {
    source: "options (name, description, label, required, value)",
    gantry:
      "inputs (type string, required, default, description; label as title) and RD_OPTION_<NAME> in the environment, as Rundeck sets it",
    outcome: "converted",
  },
  "option-enforced": {
    source: "option values with enforcedvalues",
    gantry: "a choice input with those values as its enum",
    outcome: "converted",
  },
  "option-suggested": {
    source: "option values without enforcedvalues",
    gantry: "a string input whose description lists the values",
    outcome: "difference",
    note: "Gantry's run form has no list of suggestions for free text: the values are listed in the description",
  },
  "option-regex": {
    source: "option regex",
    gantry: "the input's pattern, anchored (^(?:…)$) because Rundeck matches the whole value",
    outcome: "converted",
  },
  "option-regex-java": {
    source:
      "option regex in Java syntax JavaScript cannot read (\\Q…\\E, possessive quantifiers, inline flags)",
    gantry: "write the input's pattern by hand",
    outcome: "manual",
  },
  "option-secure": {
    source: "secure options (valueExposed)",
    gantry: "a secret input (masked in every log line, never stored in clear)",
    outcome: "converted",
  },
  "option-storage": {
    source: "secure option default from Key Storage (storagePath)",
    gantry: "a secret reference in secrets: used when the input is left empty: ${{ inputs.x || secrets.X }}",
    outcome: "difference",
    note: "the default comes from a secret reference (ref+env:// as a placeholder): point it at where the Key Storage value lives",
  },
  "option-remote-auth": {
    source: "Secure Remote Authentication options (secure, valueExposed false)",
    gantry:
      "a secret input; Gantry's SSH nodes log in with the key or password their inventory entry names (ssh_key, password: secret references), not a per-run option",
    outcome: "manual",
  },
  "option-multivalued": {
    source: "multivalued options with a delimiter",
    gantry: "an array input; RD_OPTION_<NAME> joins the values with the delimiter",
    outcome: "converted",
  },
  "option-remote-values": {
    source: "option valuesUrl (values from a URL)",
    gantry: "options_from on the input; meanwhile a string input",
    outcome: "later",
    needs: "dynamic input options, #25",
  },
  "option-date": {
    source: "date options (isDate, dateFormat)",
    gantry: "a string input that describes the format",
    outcome: "difference",
    note: "the run form shows a text field, not a date picker, and does not check the format",
  },
  "option-file": {
    source: "file options (type: file)",
    gantry: "an artifact, or a string input with a URL the script downloads",
    outcome: "manual",
  },
  "option-hidden": {
    source: "hidden options",
    gantry: "an input shown in the run form",
    outcome: "difference",
    note: "Gantry shows every input in the run form",
  },
  "option-references": {
    source: "${option.x} in commands and arguments, @option.x@ in scripts, $RD_OPTION_X",
    gantry: '"$RD_OPTION_X" from the environment: the value is never spliced into the script',
    outcome: "converted",
  },
  "job-variables": {
    source: "${job.name}, ${job.group}, ${job.id}, ${job.execid}, ${job.loglevel} and RD_JOB_*",
    gantry: "RD_JOB_* in the workflow's env (execid is the run's id)",
    outcome: "converted",
  },
  "job-variables-unknown": {
    source: "${job.username}, ${job.project}, ${job.url} and other RD_JOB_* Gantry does not know",
    gantry: "set them in the workflow's env yourself (Gantry's run has no project or URL of Rundeck's)",
    outcome: "manual",
  },
  "node-variables": {
    source: "${node.name}, @node.hostname@, RD_NODE_* in a job without a node filter",
    gantry:
      "RD_NODE_NAME, RD_NODE_HOSTNAME and RD_NODE_USERNAME exported from the worker's hostname and user",
    outcome: "difference",
    note: "the node is the Gantry worker that runs the step, not the Rundeck server",
  },
  "other-variables": {
    source: "${globals.x}, ${data.x} and other contexts",
    gantry: "set the value in env, or pass it as a step output (echo name=value >> $GANTRY_OUTPUT)",
    outcome: "manual",
  },
  sequence: {
    source: "the workflow's steps, strategy node-first or sequential",
    gantry: "steps that each need the one before",
    outcome: "converted",
  },
  "strategy-parallel": {
    source: "strategy parallel",
    gantry: "steps without needs, which run at once",
    outcome: "converted",
  },
  "strategy-other": {
    source: "other workflow strategy plugins (ruleset)",
    gantry: "express the order with needs and if",
    outcome: "manual",
  },
  keepgoing: {
    source: "sequence keepgoing: true",
    gantry: "every later step has if: ${{ !cancelled() }}, so all run and the run still fails",
    outcome: "converted",
  },
  "step-exec": {
    source: "command steps (exec)",
    gantry:
      "run: with the command (without -e and pipefail where it has several commands, as a shell runs a command line)",
    outcome: "converted",
  },
  "step-script": {
    source: "inline script steps (script, scriptargs)",
    gantry: 'run: with the script, the arguments as "$@" (set --), and no -e, as Rundeck runs a script file',
    outcome: "converted",
  },
  "step-interpreter": {
    source: "scripts for other interpreters (a #! line or scriptInterpreter, fileExtension)",
    gantry: "run: writes the script to a file and runs it with its interpreter and arguments",
    outcome: "converted",
  },
  "working-directory": {
    source: "the folder commands and scripts run in",
    gantry: "a fresh work folder for each step, removed afterwards",
    outcome: "difference",
    note: "Rundeck runs local commands in the server's working folder, which stays between steps and runs; a Gantry step starts in an empty folder of its own, so files kept between steps or runs need an absolute path",
  },
  "step-scriptfile": {
    source: "script file steps (scriptfile, a file on the Rundeck server)",
    gantry:
      "copy the file into the repository and run it from an action (runs.script) or inline it; meanwhile the step fails saying so",
    outcome: "manual",
  },
  "step-scripturl": {
    source: "script URL steps (scripturl)",
    gantry: "run: downloads the script with curl and runs it with the arguments",
    outcome: "difference",
    note: "the script is fetched with curl on the worker at each run, which needs curl and network access there",
  },
  "step-jobref": {
    source: "job reference steps (jobref, with args)",
    gantry:
      "a sub-workflow node (uses: workflow:<name>) with the arguments as with:; meanwhile the step fails saying so",
    outcome: "later",
    needs: "sub-workflows, #25",
  },
  "step-plugin": {
    source: "step plugins (step-plugin, node-step-plugin)",
    gantry:
      "a step that does the same with the tool's CLI or API, or an action; meanwhile the step fails saying so",
    outcome: "manual",
  },
  "step-description": {
    source: "step description",
    gantry: "the step's name",
    outcome: "converted",
  },
  "error-handler": {
    source: "error handlers (keepgoingOnSuccess)",
    gantry:
      "a step that runs when its step failed; with keepgoingOnSuccess the failed step reads as success (continue_on_error) and the job goes on when the handler succeeds",
    outcome: "converted",
  },
  "node-filter": {
    source: "node filters (nodefilters, filter, excludeFilter)",
    gantry:
      "defaults.runner: {type: ssh, nodes: <the filter as a node selector>}: every step runs on each matching node of Gantry's node inventory",
    outcome: "converted",
  },
  "node-filter-editable": {
    source: "nodeFilterEditable: true (the filter can be changed per run)",
    gantry: "an input of type nodes, its default the job's filter, read by runner.nodes",
    outcome: "converted",
  },
  "node-first": {
    source: "strategy node-first with a node filter (all steps on one node, then the next node)",
    gantry: "each step runs on every node before the next step starts",
    outcome: "difference",
    note: "the same commands run on the same nodes in another order; make it one step (or one script) if a node must run them back to back",
  },
  dispatch: {
    source: "node dispatch threadcount and keepgoing",
    gantry:
      "runner.max_parallel and runner.keep_going on the SSH runner (defaults: one node at a time, stop at a failed node, as Rundeck's)",
    outcome: "converted",
  },
  "dispatch-other": {
    source:
      "node dispatch rankAttribute, rankOrder, successOnEmptyNodeFilter, orchestrator; dispatch without a filter",
    gantry: "nodes run in the inventory's order; a selector matching no node fails the step",
    outcome: "difference",
    note: "order the inventory as the rank did; orchestrators have no counterpart",
  },
  "node-variables-on-nodes": {
    source: "${node.name}, @node.hostname@, RD_NODE_* in a job with a node filter",
    gantry:
      "RD_NODE_NAME, HOSTNAME, USERNAME, TAGS from GANTRY_NODE_NAME, _HOST, _USER, _TAGS; other attributes from GANTRY_NODE_ATTR_<NAME>",
    outcome: "converted",
  },
  notification: {
    source: "notifications (onsuccess, onfailure, onstart, onavgduration: email, webhook, plugins)",
    gantry:
      "notify: on the workflow; meanwhile listed in a comment (plugin settings left out: they may hold tokens)",
    outcome: "later",
    needs: "notifications, #24",
  },
  timeout: {
    source: "timeout (one step)",
    gantry: "the step's timeout (defaults.timeout)",
    outcome: "converted",
  },
  "timeout-steps": {
    source: "timeout (several steps)",
    gantry: "defaults.timeout on every step",
    outcome: "difference",
    note: "Rundeck's timeout bounds the whole execution, Gantry's each step: the run may last longer",
  },
  retry: {
    source: "retry and retry delay (one step)",
    gantry: "retry: {attempts: retry + 1, delay}",
    outcome: "converted",
  },
  "retry-steps": {
    source: "retry and retry delay (several steps)",
    gantry: "defaults.retry on every step",
    outcome: "difference",
    note: "Rundeck retries the whole job, Gantry the step that failed (steps that succeeded are not run again)",
  },
  "multiple-executions": {
    source: "multipleExecutions (false by default)",
    gantry:
      "false: concurrency {group: rundeck-<name>, policy: skip} (a second run is recorded as skipped); true: nothing",
    outcome: "converted",
  },
  "max-executions": {
    source: "maxMultipleExecutions",
    gantry: "a concurrency group allows one run at a time or queues: pick queue or skip",
    outcome: "manual",
  },
  loglevel: {
    source: "loglevel",
    gantry: "nothing needed: Gantry keeps all a step prints",
    outcome: "converted",
  },
  "log-limit": {
    source: "loglimit, loglimitAction, loglimitStatus",
    gantry:
      "stop the output in the script (e.g. | head -c), or rely on Gantry's 64 KiB line limit and retention",
    outcome: "manual",
  },
  "execution-plugins": {
    source: "execution lifecycle plugins (plugins)",
    gantry: "steps before or after the job's steps",
    outcome: "manual",
  },
  "ui-settings": {
    source: "defaultTab, nodesSelectedByDefault, notifyAvgDurationThreshold",
    gantry: "dropped",
    outcome: "difference",
    note: "settings of Rundeck's UI with no meaning in Gantry are dropped",
  },
});

export type RundeckFeature = keyof typeof RUNDECK_FEATURES;
