{{/* Names, labels and shared pod parts for the Gantry chart. */}}

{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, cut to 63 characters (DNS label); component suffixes are added to it. */}}
{{- define "gantry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gantry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag, or registry/repository@digest: a digest pins exactly what runs. */}}
{{- define "gantry.image" -}}
{{- $name := printf "%s/%s" (trimSuffix "/" .Values.image.registry) .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $name .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "gantry.runnerNamespace" -}}
{{- default (printf "%s-steps" .Release.Namespace) .Values.worker.kubernetes.namespace -}}
{{- end -}}

{{- define "gantry.kubernetesRunner" -}}
{{- if has "kubernetes" .Values.worker.runners }}true{{ end -}}
{{- end -}}

{{- define "gantry.encryptionKeySecret" -}}
{{- default (printf "%s-encryption-key" (include "gantry.fullname" .)) .Values.encryptionKey.existingSecret -}}
{{- end -}}

{{/*
The chart-made encryption key's Secret data (base64), computed once per render and shared by the Secret
and the pods' checksum: the existing Secret's (an upgrade, or a reinstall after uninstall kept it), or a
new random key on a first install that can prove it talks to the cluster. `lookup` answers only then;
`helm template`, Argo CD and client-side dry runs get nothing back, and a key made there would differ on
each render, so they are refused. The proof is kube-root-ca.crt, the ConfigMap Kubernetes (1.20 and
later) puts in every namespace: reading it needs only namespace rights.
*/}}
{{- define "gantry.generatedKeyData" -}}
{{- if not (hasKey .Values "__gantryKeyData") -}}
{{- $name := include "gantry.encryptionKeySecret" . -}}
{{- $key := .Values.encryptionKey.key -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name -}}
{{- $data := "" -}}
{{- if and $existing (hasKey ($existing.data | default dict) $key) -}}
{{- $data = index $existing.data $key -}}
{{- else if .Release.IsUpgrade -}}
{{- fail (printf "encryptionKey: the Secret %s (key %s) that holds this release's encryption key is gone or cannot be read, and an upgrade never makes a new key: the stored secret inputs could no longer be read. Restore the Secret from your backup, or set encryptionKey.existingSecret to a Secret holding the key. If no install of this release ever succeeded (a first install that failed before the Secret was made), there is no key to lose: helm uninstall, then install again (docs/deploy.md, \"Encryption key\")" $name $key) -}}
{{- else if lookup "v1" "ConfigMap" .Release.Namespace "kube-root-ca.crt" -}}
{{- $data = randBytes 32 | b64enc -}}
{{- else -}}
{{- fail "encryptionKey.existingSecret is required here: without access to the cluster (helm template, Argo CD, a client-side --dry-run) the chart cannot tell whether a key exists, and a key made now would change on every render, leaving pods that disagree and stored secret inputs unreadable. Create the Secret once: kubectl create secret generic gantry-encryption --from-literal=encryption-key=\"$(openssl rand -base64 32)\", and set encryptionKey.existingSecret=gantry-encryption (docs/deploy.md, \"Encryption key\")" -}}
{{- end -}}
{{- $_ := set .Values "__gantryKeyData" $data -}}
{{- end -}}
{{- .Values.__gantryKeyData -}}
{{- end -}}

{{/*
A checksum of the encryption key for the pods' annotations, so pods restart when the key changes: of the
key itself when the chart can read it (its own Secret, or the existing one through lookup), else of the
Secret's name and key (Argo CD: restart the pods yourself after changing the key).
*/}}
{{- define "gantry.encryptionKeyChecksum" -}}
{{- if .Values.encryptionKey.existingSecret -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace .Values.encryptionKey.existingSecret -}}
{{- if and $existing (hasKey ($existing.data | default dict) .Values.encryptionKey.key) -}}
{{- index $existing.data .Values.encryptionKey.key | sha256sum -}}
{{- else -}}
{{- printf "%s/%s" .Values.encryptionKey.existingSecret .Values.encryptionKey.key | sha256sum -}}
{{- end -}}
{{- else -}}
{{- include "gantry.generatedKeyData" . | sha256sum -}}
{{- end -}}
{{- end -}}

{{/* The public URL: auth.publicUrl, else the Ingress host. */}}
{{- define "gantry.publicUrl" -}}
{{- if .Values.auth.publicUrl -}}
{{- .Values.auth.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{- define "gantry.databaseCaMounted" -}}
{{- if or .Values.database.ca.secretName .Values.database.ca.configMapName }}true{{ end -}}
{{- end -}}

{{/*
The database's environment, shared by every pod that opens it (servers, workers, the migration Job). The
URL comes from the Secret at start and is never written in the spec; with database.asFile it is not even
in the environment: GANTRY_DATABASE names the mounted file.
*/}}
{{- define "gantry.databaseEnv" -}}
{{- if .Values.database.asFile }}
- name: GANTRY_DATABASE
  value: {{ printf "ref+file:///etc/gantry/database/%s" .Values.database.key | quote }}
{{- else }}
- name: GANTRY_DATABASE
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
{{- end }}
{{- end -}}

{{/* Environment variables from extraEnv, each with a value or a valueFrom. */}}
{{- define "gantry.extraEnv" -}}
{{- range .Values.extraEnv }}
- name: {{ .name }}
{{- if hasKey . "valueFrom" }}
  valueFrom:
    {{- toYaml .valueFrom | nindent 4 }}
{{- else }}
  value: {{ .value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment shared by servers and workers. */}}
{{- define "gantry.env" -}}
{{ include "gantry.databaseEnv" . | trim }}
- name: GANTRY_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "gantry.encryptionKeySecret" . }}
      key: {{ .Values.encryptionKey.key }}
{{- if and .Values.auth.oidc.enabled .Values.auth.oidc.existingSecret }}
- name: GANTRY_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.oidc.existingSecret }}
      key: {{ .Values.auth.oidc.key }}
{{- end }}
{{- if and .Values.logs.s3.enabled .Values.logs.s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.logs.s3.existingSecret }}
      key: {{ .Values.logs.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.logs.s3.existingSecret }}
      key: {{ .Values.logs.s3.secretAccessKeyKey }}
{{- end }}
{{- range .Values.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- include "gantry.extraEnv" . }}
{{- end -}}

{{/* Mounts of the database's Secret (database.asFile) and CA bundle (database.ca). */}}
{{- define "gantry.databaseVolumeMounts" -}}
{{- if .Values.database.asFile }}
- name: database
  mountPath: /etc/gantry/database
  readOnly: true
{{- end }}
{{- if include "gantry.databaseCaMounted" . }}
- name: database-ca
  mountPath: /etc/gantry/database-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "gantry.databaseVolumes" -}}
{{- if .Values.database.asFile }}
- name: database
  secret:
    secretName: {{ .Values.database.existingSecret }}
    items: [{ key: {{ .Values.database.key | quote }}, path: {{ .Values.database.key | quote }} }]
{{- end }}
{{- if .Values.database.ca.secretName }}
- name: database-ca
  secret:
    secretName: {{ .Values.database.ca.secretName }}
    items: [{ key: {{ .Values.database.ca.key | quote }}, path: {{ .Values.database.ca.key | quote }} }]
{{- else if .Values.database.ca.configMapName }}
- name: database-ca
  configMap:
    name: {{ .Values.database.ca.configMapName }}
    items: [{ key: {{ .Values.database.ca.key | quote }}, path: {{ .Values.database.ca.key | quote }} }]
{{- end }}
{{- end -}}

{{/*
gantry.yaml, the data folder and /tmp (the root filesystem stays read-only), the shared logs volume, the
database's files, and the component's extra mounts. Call with (dict "root" $ "component" "server").
*/}}
{{- define "gantry.volumeMounts" -}}
{{- $c := index .root.Values .component -}}
- name: config
  mountPath: /etc/gantry/gantry.yaml
  subPath: gantry.yaml
  readOnly: true
- name: data
  mountPath: /var/lib/gantry
- name: tmp
  mountPath: /tmp
{{- if .root.Values.logs.sharedVolume.existingClaim }}
- name: logs
  mountPath: /var/lib/gantry/logs
{{- end }}
{{- include "gantry.databaseVolumeMounts" .root }}
{{- with $c.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "gantry.volumes" -}}
{{- $c := index .root.Values .component -}}
- name: config
  configMap:
    name: {{ include "gantry.fullname" .root }}
- name: data
  emptyDir:
    sizeLimit: {{ $c.storage.dataSizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: {{ $c.storage.tmpSizeLimit }}
{{- with .root.Values.logs.sharedVolume.existingClaim }}
- name: logs
  persistentVolumeClaim:
    claimName: {{ . }}
{{- end }}
{{- include "gantry.databaseVolumes" .root }}
{{- with $c.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The pod template's metadata and the scheduling and security parts every Gantry pod shares. Call with
(dict "root" $ "component" "server").
*/}}
{{- define "gantry.podMetadata" -}}
{{- $c := index .root.Values .component -}}
labels:
  {{- include "gantry.selectorLabels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
  {{- with $c.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
  checksum/encryption-key: {{ include "gantry.encryptionKeyChecksum" .root }}
  {{- with $c.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{- define "gantry.scheduling" -}}
{{- $c := index .root.Values .component -}}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $c.affinity }}
affinity:
  {{- toYaml $c.affinity | nindent 2 }}
{{- else if eq $c.podAntiAffinityPreset "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "gantry.selectorLabels" .root | nindent 14 }}
              app.kubernetes.io/component: {{ .component }}
{{- else if eq $c.podAntiAffinityPreset "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "gantry.selectorLabels" .root | nindent 12 }}
            app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The probes of a server or worker container, on the metrics port. */}}
{{- define "gantry.probes" -}}
# Live while the process answers; it answers while it waits for the database schema, which can take
# as long as the migration Job, so the startup probe allows 10 minutes.
startupProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 5
  failureThreshold: 120
livenessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
# Ready while running with the database answering: a server that lost it leaves the Service until it is
# back; a worker that is stopping counts as unavailable for the PodDisruptionBudget.
readinessProbe:
  httpGet: { path: /readyz, port: metrics }
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}
