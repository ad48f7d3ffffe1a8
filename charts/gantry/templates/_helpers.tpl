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

{{- define "gantry.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "gantry.runnerNamespace" -}}
{{- default .Release.Namespace .Values.worker.kubernetes.namespace -}}
{{- end -}}

{{- define "gantry.encryptionKeySecret" -}}
{{- default (printf "%s-encryption-key" (include "gantry.fullname" .)) .Values.encryptionKey.existingSecret -}}
{{- end -}}

{{/* The public URL: auth.publicUrl, else the Ingress host. */}}
{{- define "gantry.publicUrl" -}}
{{- if .Values.auth.publicUrl -}}
{{- .Values.auth.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/*
Environment shared by servers and workers. The database URL reaches `--database` through Kubernetes'
$(GANTRY_DATABASE) expansion in args, so it is read from the Secret at start and never written in the spec.
*/}}
{{- define "gantry.env" -}}
- name: GANTRY_DATABASE
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
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
{{- range .Values.extraEnv }}
- name: {{ .name }}
  value: {{ .value | quote }}
{{- end }}
{{- end -}}

{{/* gantry.yaml, the data folder and /tmp: the root filesystem stays read-only. */}}
{{- define "gantry.volumeMounts" -}}
- name: config
  mountPath: /etc/gantry
  readOnly: true
- name: data
  mountPath: /var/lib/gantry
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "gantry.volumes" -}}
- name: config
  configMap:
    name: {{ include "gantry.fullname" . }}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end -}}
