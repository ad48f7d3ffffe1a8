// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold Rundeck's and Gantry's expressions
import { describe, expect, it } from "vitest";
import { convert } from "../testing/convert.js";
import { nodeSelector } from "./nodes.js";

const XML_JOB = `<joblist>
  <!-- the nightly export -->
  <job>
    <name>export data</name>
    <group>ops/nightly</group>
    <uuid>1111-2222</uuid>
    <description>Exports the data</description>
    <timeZone>Europe/Berlin</timeZone>
    <schedule crontab="0 30 2 ? * 2-6 *"/>
    <timeout>15m</timeout>
    <retry delay="30s">2</retry>
    <context>
      <options preserveOrder="true">
        <option name="region" values="eu,us" enforcedvalues="true" required="true" value="eu">
          <description>where to export</description>
        </option>
        <option name="ticket" regex="OPS-[0-9]+" />
        <option name="tags" multivalued="true" delimiter="+" values="a,b,c" enforcedvalues="true" value="a+b"/>
        <option name="token" secure="true" valueExposed="true" storagePath="keys/ops/token" required="true"/>
        <option name="ssh_password" secure="true" valueExposed="false"/>
      </options>
    </context>
    <sequence keepgoing="false" strategy="node-first">
      <command>
        <description>Export</description>
        <exec>export-data --region \${option.region} --ticket \${option.ticket}; echo "job \${job.name} \${job.execid}"</exec>
        <errorhandler keepgoingOnSuccess="true">
          <exec>echo recovering</exec>
        </errorhandler>
      </command>
      <command>
        <script><![CDATA[#!/bin/bash
echo "region @option.region@ on @node.name@"
echo "first arg: $1"]]></script>
        <scriptargs>\${option.region} literal</scriptargs>
      </command>
      <command>
        <script><![CDATA[#!/usr/bin/env python3
import sys
print("python", sys.argv[1:])]]></script>
        <scriptargs>\${option.region}</scriptargs>
      </command>
      <command>
        <jobref name="cleanup" group="ops"><arg line="-region \${option.region}"/></jobref>
      </command>
    </sequence>
    <notification>
      <onfailure>
        <email recipients="ops@example.com"/>
        <plugin type="SlackNotification">
          <configuration><entry key="webhook_token" value="s3cr3t-token-value"/></configuration>
        </plugin>
      </onfailure>
    </notification>
  </job>
</joblist>`;

describe("Rundeck jobs", () => {
  const result = convert("rundeck", "export.xml", XML_JOB);
  const wf = result.workflow;

  it("names the workflow after the job and describes where it came from", () => {
    expect(wf.name).toBe("export-data");
    expect(wf.description).toBe("Exports the data\n\nRundeck job ops/nightly/export data");
  });

  it("turns the Quartz schedule into Gantry's cron in the job's time zone (Quartz 2-6 is Monday to Friday)", () => {
    expect(wf.on).toEqual({ manual: {}, schedule: [{ cron: "30 2 * * 1-5", timezone: "Europe/Berlin" }] });
    expect(result.feature("schedule")[0]?.detail).toContain("day of week 2-6 -> 1-5");
  });

  it("turns options into inputs of the right kind, and sets RD_OPTION_* as Rundeck does", () => {
    expect(wf.inputs).toEqual({
      region: {
        type: "choice",
        enum: ["eu", "us"],
        description: "where to export",
        default: "eu",
        required: true,
      },
      // Rundeck matches the whole value: the pattern is anchored.
      ticket: { type: "string", pattern: "^(?:OPS-[0-9]+)$" },
      tags: { type: "array", items: { enum: ["a", "b", "c"] }, default: ["a", "b"] },
      // The default lives in Key Storage, so the run form may leave the input empty.
      token: { type: "secret" },
      ssh_password: { type: "secret" },
    });
    expect(wf.secrets).toEqual({ TOKEN: "ref+env://TOKEN" });
    expect(wf.env).toMatchObject({
      RD_OPTION_REGION: "${{ inputs.region }}",
      RD_OPTION_TAGS: "${{ join(inputs.tags, '+') }}",
      RD_OPTION_TOKEN: "${{ inputs.token || secrets.TOKEN }}",
    });
    // A Secure Remote Authentication option is for node logins, not for scripts.
    expect(wf.env).not.toHaveProperty("RD_OPTION_SSH_PASSWORD");
    expect(result.feature("option-remote-auth")).toHaveLength(1);
    expect(result.texts["export-data.yaml"]).toContain("# Fill in: Rundeck Key Storage keys/ops/token");
  });

  it("never splices an option into a script: commands and scripts read RD_OPTION_* quoted", () => {
    const steps = wf.steps;
    expect(steps.export?.run).toBe(
      'set +e +o pipefail\nexport-data --region "${RD_OPTION_REGION}" --ticket "${RD_OPTION_TICKET}"; echo "job ${RD_JOB_NAME} ${RD_JOB_EXECID}"\n',
    );
    expect(wf.env).toMatchObject({ RD_JOB_NAME: "export data", RD_JOB_EXECID: "${{ run.id }}" });
    expect(steps.step_2?.run).toBe(
      '#!/bin/bash\nexport RD_NODE_NAME="$(hostname)"\nset +e +o pipefail\nset -- "${RD_OPTION_REGION}" literal\necho "region ${RD_OPTION_REGION} on ${RD_NODE_NAME}"\necho "first arg: $1"\n',
    );
  });

  it("runs a script for another interpreter from a file, with its arguments", () => {
    expect(result.workflow.steps.step_3?.run).toBe(
      `cat > rundeck-script <<'GANTRY_SCRIPT'\n#!/usr/bin/env python3\nimport sys\nprint("python", sys.argv[1:])\nGANTRY_SCRIPT\nchmod +x rundeck-script\n./rundeck-script "\${RD_OPTION_REGION}"\n`,
    );
  });

  it("chains the steps; an error handler with keepgoingOnSuccess lets the job go on when it recovers", () => {
    const steps = wf.steps;
    expect(steps.export).toMatchObject({ name: "Export", continue_on_error: true });
    expect(steps.export).not.toHaveProperty("needs");
    expect(steps.export_on_error).toMatchObject({
      needs: ["export"],
      if: "${{ !cancelled() && steps.export.outcome == 'failure' }}",
      run: "echo recovering\n",
    });
    expect(steps.step_2).toMatchObject({
      needs: ["export", "export_on_error"],
      if: "${{ !cancelled() && !failure() }}",
    });
    expect(steps.step_3).toMatchObject({ needs: ["step_2"] });
  });

  it("leaves a job reference as a step that fails saying it needs sub-workflows", () => {
    const ref = wf.steps.step_4;
    expect(ref?.run).toContain(
      "job reference to 'ops/cleanup' with arguments -region ${option.region} needs sub-workflows",
    );
    expect(ref?.run).toContain("exit 1");
    expect(result.feature("step-jobref")).toEqual([
      expect.objectContaining({ outcome: "later", needs: "sub-workflows, #25" }),
    ]);
  });

  it("keeps the job's timeout and retries (Rundeck's retry count plus the first try)", () => {
    expect(wf.defaults).toEqual({ timeout: "15m", retry: { attempts: 3, delay: "30s" } });
    expect(result.feature("timeout-steps")).toHaveLength(1);
  });

  it("allows one run at a time, as Rundeck does unless multipleExecutions is set", () => {
    expect(wf.concurrency).toEqual({ group: "rundeck-export-data", policy: "skip" });
  });

  it("lists notifications for later without copying plugin settings (they hold tokens)", () => {
    const text = result.texts["export-data.yaml"] as string;
    expect(text).toContain(
      "onfailure: email to ops@example.com; plugin SlackNotification (settings: webhook_token)",
    );
    expect(JSON.stringify(result.report)).not.toContain("s3cr3t-token-value");
  });

  it("keeps the XML comments and says at the top what was not converted", () => {
    const text = result.texts["export-data.yaml"] as string;
    expect(text).toContain("# the nightly export");
    expect(text.split("\n")[1]).toMatch(
      /^# NOT FULLY CONVERTED: \d+ parts? of the source needs? work by hand:/,
    );
  });
});

describe("Rundeck job options in older YAML exports and other shapes", () => {
  it("reads options written as a map by name, and a structured schedule with seconds", () => {
    const yaml = `- name: tidy
  options:
    days:
      value: "7"
      regex: "[0-9]+"
  schedule:
    time: {hour: "4", minute: "15", seconds: "30"}
    weekday: {day: "SUN"}
    month: "*"
  sequence:
    strategy: parallel
    commands:
      - exec: echo one
      - exec: echo two
`;
    const { workflow, feature } = convert("rundeck", "jobs.yaml", yaml);
    expect(workflow.inputs).toEqual({ days: { type: "string", pattern: "^(?:[0-9]+)$", default: "7" } });
    expect((workflow.on as { schedule: unknown[] }).schedule).toEqual([{ cron: "30 15 4 * * SUN" }]);
    // parallel: no step needs another.
    expect(workflow.steps.step_1).not.toHaveProperty("needs");
    expect(workflow.steps.step_2).not.toHaveProperty("needs");
    expect(feature("strategy-parallel")).toHaveLength(1);
    expect(feature("no-time-zone")).toHaveLength(1);
  });

  it("runs later steps after a failure with keepgoing, and the run still fails", () => {
    const yaml = `- name: go on
  sequence:
    keepgoing: true
    commands:
      - exec: "false"
      - exec: echo after
`;
    const { workflow } = convert("rundeck", "keep.yaml", yaml);
    expect(workflow.steps.step_2).toMatchObject({ needs: ["step_1"], if: "${{ !cancelled() }}" });
    expect(workflow.steps.step_1).not.toHaveProperty("continue_on_error");
  });

  it("runs a job with a node filter on Gantry's SSH nodes, dispatched as Rundeck did", () => {
    const yaml = `- name: restart web
  nodefilters:
    filter: "tags: web+eu name: web1,web2"
    excludeFilter: "tags: canary"
    dispatch: {threadcount: 2, keepgoing: true, rankAttribute: rack, rankOrder: descending}
  sequence:
    keepgoing: true
    strategy: node-first
    commands:
      - exec: systemctl restart app
      - script: echo "restarted on @node.name@ ($RD_NODE_HOSTNAME, rack $RD_NODE_RACK)"
`;
    const { workflow, feature, texts } = convert("rundeck", "web.yaml", yaml);
    expect(Object.keys(workflow.steps)).toEqual(["step_1", "step_2"]);
    expect(workflow.defaults?.runner).toEqual({
      type: "ssh",
      nodes: "tags:web and tags:eu and (name:web1 or name:web2) and not tags:canary",
      max_parallel: 2,
      keep_going: true,
    });
    expect(workflow.steps.step_1).not.toHaveProperty("needs");
    expect(workflow.steps.step_2).toMatchObject({ needs: ["step_1"], if: "${{ !cancelled() }}" });
    expect(workflow.steps.step_2?.run).toContain(
      'export RD_NODE_NAME="${GANTRY_NODE_NAME:-}" RD_NODE_HOSTNAME="${GANTRY_NODE_HOST:-}" RD_NODE_RACK="${GANTRY_NODE_ATTR_RACK:-}"\n',
    );
    expect(feature("node-filter")[0]).toMatchObject({ outcome: "converted" });
    expect(feature("dispatch")[0]?.detail).toBe("threadcount: 2, keepgoing: true");
    expect(feature("dispatch-other")[0]).toMatchObject({
      outcome: "difference",
      detail: "rankAttribute, rankOrder",
    });
    expect(feature("node-first")[0]).toMatchObject({ outcome: "difference" });
    expect(feature("node-variables-on-nodes")).toHaveLength(1);
    expect(texts["restart-web.yaml"]).toContain(
      "here each step runs on every node before the next step starts",
    );
  });

  it("keeps Rundeck's one node at a time and stop at the first failed node, and offers an editable filter as an input", () => {
    const yaml = `- name: uptime
  nodeFilterEditable: true
  options: [{name: nodes, value: x}]
  nodefilters: {filter: "tags: app"}
  sequence:
    commands: [{exec: uptime}]
`;
    const { workflow, feature } = convert("rundeck", "uptime.yaml", yaml);
    expect(workflow.defaults?.runner).toEqual({ type: "ssh", nodes: "${{ inputs.nodes_2 }}" });
    expect(workflow.inputs?.nodes_2).toMatchObject({ type: "nodes", default: "tags:app" });
    expect(workflow.inputs?.nodes).toMatchObject({ default: "x" });
    expect(feature("node-filter-editable")[0]?.detail).toBe("input nodes_2");
    expect(feature("node-first")).toEqual([]);
  });

  it("translates node filters to node selectors", () => {
    expect(nodeSelector("tags: www")).toBe("tags:www");
    expect(nodeSelector("tags: web,db")).toBe("(tags:web or tags:db)");
    expect(nodeSelector("!tags: staging os-family: unix")).toBe("not (tags:staging) and os-family:unix");
    expect(nodeSelector("web1 web2", "tags: broken")).toBe("name:web1 and name:web2 and not tags:broken");
  });

  it("reports an unreadable file with its position", () => {
    const report = convert.bind(null, "rundeck", "bad.xml", "<joblist><job><name>x</job></joblist>");
    expect(report).toThrow(/^bad\.xml:1:\d+: XML: /);
  });
});
