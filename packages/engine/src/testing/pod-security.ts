/**
 * The Pod Security Standards' `baseline` and `restricted` checks, as published at
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ (the controls of policy version
 * v1.25 and later), for tests of pod specs Gantry makes: the Kubernetes runner's step pods and the Helm
 * chart's pods. No admission controller runs here; this lists the fields each control reads and the
 * values it allows. Returns the violations, empty when the pod passes.
 */

// biome-ignore lint/suspicious/noExplicitAny: pod specs from YAML or from the client's types alike.
type Any = any;

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

export function podSecurityViolations(spec: Any, level: "baseline" | "restricted"): string[] {
  const problems: string[] = [];
  const pod = spec?.securityContext ?? {};
  const containers: Any[] = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  // baseline
  if (spec?.hostNetwork || spec?.hostPID || spec?.hostIPC) problems.push("host namespaces");
  if (pod.windowsOptions?.hostProcess) problems.push("hostProcess");
  for (const v of spec?.volumes ?? []) if (v.hostPath) problems.push(`hostPath volume ${v.name}`);
  if (pod.seccompProfile?.type === "Unconfined") problems.push("pod seccomp Unconfined");
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) problems.push(`sysctl ${s.name}`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) problems.push(`${c.name}: privileged`);
    if (sc.windowsOptions?.hostProcess) problems.push(`${c.name}: hostProcess`);
    for (const cap of sc.capabilities?.add ?? [])
      if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${c.name}: adds capability ${cap}`);
    for (const p of c.ports ?? []) if (p.hostPort) problems.push(`${c.name}: hostPort ${p.hostPort}`);
    if (sc.procMount && sc.procMount !== "Default") problems.push(`${c.name}: procMount ${sc.procMount}`);
    if (sc.seccompProfile?.type === "Unconfined") problems.push(`${c.name}: seccomp Unconfined`);
  }
  if (level === "baseline") return problems;
  // restricted
  for (const v of spec?.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (type && !RESTRICTED_VOLUMES.has(type)) problems.push(`volume ${v.name} of type ${type}`);
  }
  if (pod.runAsUser === 0) problems.push("pod runAsUser 0");
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true))
      problems.push(`${c.name}: runAsNonRoot not true`);
    if (sc.runAsUser === 0) problems.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
      problems.push(`${c.name}: seccompProfile not RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL"))
      problems.push(`${c.name}: capabilities not dropping ALL`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== "NET_BIND_SERVICE") problems.push(`${c.name}: adds capability ${cap}`);
  }
  return problems;
}
