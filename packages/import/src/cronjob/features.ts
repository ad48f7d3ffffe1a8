// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the table names workflow expressions
import { defineFeatures } from "../report/features.js";

/** Kubernetes CronJob (`batch/v1`) features and what each becomes. */
export const CRONJOB_FEATURES = defineFeatures({
  cronjob: {
    source: "kind: CronJob (batch/v1, batch/v1beta1)",
    gantry: "one workflow with a schedule (plus `on.manual`, as `kubectl create job --from` allows)",
    outcome: "converted",
  },
  list: {
    source: "several CronJobs (`---` documents, kind: List)",
    gantry: "one workflow per CronJob",
    outcome: "converted",
  },
  "other-object": {
    source: "other objects in the file (ServiceAccount, ConfigMap, Pod, …)",
    gantry: "keep applying them to the cluster: only the CronJob becomes a workflow",
    outcome: "manual",
  },
  schedule: {
    source: "spec.schedule",
    gantry: "on.schedule[].cron (the same five fields and @hourly/@daily/… macros)",
    outcome: "converted",
  },
  "schedule-unreadable": {
    source: "spec.schedule that Gantry cannot read (@every, a TZ= prefix with a bad zone)",
    gantry: "write the schedule as five cron fields",
    outcome: "manual",
  },
  "time-zone": {
    source: "spec.timeZone (or a CRON_TZ=/TZ= prefix in spec.schedule)",
    gantry: "on.schedule[].timezone",
    outcome: "converted",
  },
  "no-time-zone": {
    source: "no spec.timeZone",
    gantry: "on.schedule[].timezone left out (UTC)",
    outcome: "difference",
    note: "Kubernetes then uses the time zone of kube-controller-manager, Gantry UTC: set timezone if your cluster's is not UTC",
  },
  "concurrency-policy": {
    source: "spec.concurrencyPolicy (Allow, Forbid, Replace)",
    gantry:
      "on.schedule[].concurrency: allow, forbid (the fire is recorded as skipped), replace (the running run is cancelled)",
    outcome: "converted",
  },
  "starting-deadline": {
    source: "spec.startingDeadlineSeconds",
    gantry: "on.schedule[].starting_deadline (a later fire is recorded as missed)",
    outcome: "converted",
  },
  suspend: {
    source: "spec.suspend",
    gantry: "on.schedule[].suspend",
    outcome: "converted",
  },
  "history-limits": {
    source:
      "spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit, jobTemplate ttlSecondsAfterFinished",
    gantry:
      "nothing per workflow: runs and logs are kept until `retention.runs` / `retention.logs` in gantry.yaml",
    outcome: "difference",
    note: "Gantry keeps every run until its retention settings remove it, rather than a number of Jobs per CronJob",
  },
  "backoff-limit": {
    source: "jobTemplate.spec.backoffLimit (default 6) and restartPolicy",
    gantry:
      "retry: {attempts: backoffLimit + 1, backoff: exponential, delay: 10s}, as Kubernetes backs off from 10 s",
    outcome: "converted",
  },
  "active-deadline": {
    source: "jobTemplate.spec.activeDeadlineSeconds",
    gantry: "the step's timeout",
    outcome: "converted",
  },
  "active-deadline-retries": {
    source: "jobTemplate.spec.activeDeadlineSeconds with retries",
    gantry: "the step's timeout",
    outcome: "difference",
    note: "Kubernetes' deadline covers the Job with all its retries, Gantry's timeout each attempt: lower it or the retries if the total matters",
  },
  "job-parallelism": {
    source:
      "jobTemplate.spec.completions, parallelism, completionMode, podFailurePolicy, backoffLimitPerIndex",
    gantry: "one run of the container per fire: use for_each over the indexes for several completions",
    outcome: "manual",
  },
  container: {
    source: "the pod's container: image, command, args",
    gantry:
      "a step running a container action (runs.using: container) with the image, command as entrypoint and args as command",
    outcome: "converted",
  },
  "command-variables": {
    source: "$(VAR) references in command or args",
    gantry:
      "write the values out, or run a script step that expands them: Gantry passes command and args as written",
    outcome: "manual",
  },
  "more-containers": {
    source: "a second container in the pod (a sidecar)",
    gantry: "run it as a service elsewhere, or as a step of its own: Gantry's step is one container",
    outcome: "manual",
  },
  "init-containers": {
    source: "initContainers",
    gantry: "steps the main container's step needs, in order",
    outcome: "difference",
    note: "they run as separate steps that share no volume or network with the main one",
  },
  env: {
    source: "env[].value",
    gantry: "the step's env",
    outcome: "converted",
  },
  "env-secret": {
    source: "env[].valueFrom.secretKeyRef",
    gantry:
      "a secret reference in `secrets:` (ref+env://NAME as a placeholder to point at your secret store), read as ${{ secrets.NAME }}",
    outcome: "difference",
    note: "the value comes from a secret reference that you point at where the Kubernetes Secret's value lives (ref+vault://…, ref+sops://…)",
  },
  "env-config-map": {
    source: "env[].valueFrom.configMapKeyRef, fieldRef, resourceFieldRef",
    gantry: "copy the value into the step's env (Gantry does not read ConfigMaps or the pod's fields)",
    outcome: "manual",
  },
  "env-from": {
    source: "envFrom (secretRef, configMapRef)",
    gantry:
      "list each variable the Secret or ConfigMap holds in the step's env (secrets as secret references)",
    outcome: "manual",
  },
  "image-pull-policy": {
    source: "imagePullPolicy",
    gantry: "runner.pull (always, if-missing, never)",
    outcome: "converted",
  },
  "image-pull-secrets": {
    source: "imagePullSecrets",
    gantry:
      "runner.image_pull_secrets (kubernetes runner); runner.credentials with secret references (docker runner)",
    outcome: "converted",
  },
  resources: {
    source: "resources.requests and limits",
    gantry: "runner.resources (kubernetes runner); limits as runner.cpus and runner.memory (docker runner)",
    outcome: "converted",
  },
  namespace: {
    source: "metadata.namespace",
    gantry: "runner.namespace (kubernetes runner)",
    outcome: "converted",
  },
  "service-account": {
    source: "serviceAccountName",
    gantry: "runner.service_account (kubernetes runner)",
    outcome: "converted",
  },
  scheduling: {
    source: "nodeSelector, tolerations",
    gantry: "runner.node_selector, runner.tolerations (kubernetes runner)",
    outcome: "converted",
  },
  "docker-runner-drops": {
    source:
      "namespace, serviceAccountName, nodeSelector, tolerations, resource requests (with --runner docker)",
    gantry: "nothing: the docker runner has no such settings",
    outcome: "difference",
    note: "the docker runner runs the container on the worker's engine, without the pod's namespace, account, placement or requests",
  },
  "run-as-user": {
    source: "securityContext.runAsUser / runAsGroup",
    gantry: "runner.user (uid[:gid])",
    outcome: "converted",
  },
  "security-context": {
    source: "other securityContext settings (capabilities, readOnlyRootFilesystem, seccompProfile, …)",
    gantry: "not applied: Gantry's runner sets its own defaults",
    outcome: "difference",
    note: "these settings are dropped; Gantry's kubernetes runner applies its own pod security defaults",
  },
  volumes: {
    source: "volumes and volumeMounts",
    gantry:
      "files from the repository, secret references (ref+file://, ref+sops://…) or a script that fetches them; the runners mount no volumes",
    outcome: "manual",
  },
  "working-dir": {
    source: "workingDir",
    gantry: "dropped: the container starts in the step's work folder",
    outcome: "difference",
    note: "the container starts in Gantry's work folder instead of workingDir: use absolute paths or cd in a script",
  },
  probes: {
    source: "livenessProbe, readinessProbe, startupProbe",
    gantry: "dropped: the step's timeout ends a hung run",
    outcome: "difference",
    note: "probes are dropped (a Job's liveness probe restarts a hung container; Gantry's timeout ends it instead)",
  },
  metadata: {
    source: "labels, annotations, ownerReferences, container names and ports",
    gantry: "dropped (the step id is the container's name)",
    outcome: "difference",
    note: "labels and annotations are not copied onto Gantry's pods",
  },
  "other-pod-fields": {
    source: "other pod settings (affinity, priorityClassName, hostNetwork, dnsPolicy, …)",
    gantry: "configure the worker or the runner instead; Gantry's runner does not set them",
    outcome: "manual",
  },
});

export type CronJobFeature = keyof typeof CRONJOB_FEATURES;
