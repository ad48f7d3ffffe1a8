{{/*
Rules across values that values.schema.json cannot express (JSON Schema compares no two fields), checked
before anything renders; each message names the values and what to do.
*/}}
{{- define "gantry.validate" -}}
{{- if and (not .Values.auth.required) (not .Values.auth.oidc.enabled) }}
{{- fail "auth.required=false without auth.oidc.enabled: the servers listen beyond loopback and refuse to start unauthenticated; keep auth.required=true (API keys) or enable OIDC" }}
{{- end }}
{{- $hpa := .Values.worker.autoscaling }}
{{- if and $hpa.enabled (gt (int $hpa.minReplicas) (int $hpa.maxReplicas)) }}
{{- fail (printf "worker.autoscaling: minReplicas (%d) is greater than maxReplicas (%d)" (int $hpa.minReplicas) (int $hpa.maxReplicas)) }}
{{- end }}
{{- $workers := ternary $hpa.minReplicas .Values.worker.replicas $hpa.enabled }}
{{- range $component, $replicas := dict "server" .Values.server.replicas "worker" $workers }}
{{- $pdb := (index $.Values $component).podDisruptionBudget }}
{{- if $pdb.enabled }}
{{- if and (ne (toString $pdb.minAvailable) "") (ne (toString $pdb.maxUnavailable) "") }}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable, not both (set the other to \"\")" $component) }}
{{- end }}
{{- if and (eq (toString $pdb.minAvailable) "") (eq (toString $pdb.maxUnavailable) "") }}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable (maxUnavailable: 1 never blocks a drain), or enabled: false" $component) }}
{{- end }}
{{- /* What the disruption controller makes of minAvailable: a count, or a percentage of the replicas rounded up. */}}
{{- $min := toString $pdb.minAvailable }}
{{- if ne $min "" }}
{{- $pods := ternary (div (add (mul (int (trimSuffix "%" $min)) (int $replicas)) 99) 100) (int $min) (hasSuffix "%" $min) }}
{{- if and (gt (int $replicas) 0) (ge (int $pods) (int $replicas)) }}
{{- fail (printf "%s.podDisruptionBudget.minAvailable %v with %v replica(s) keeps every pod and would block every node drain: lower it, or use maxUnavailable: 1" $component $pdb.minAvailable $replicas) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "gantry.kubernetesRunner" . }}
{{- if and (eq (include "gantry.runnerNamespace" .) .Release.Namespace) (not .Values.worker.kubernetes.allowReleaseNamespace) }}
{{- fail (printf "worker.kubernetes.namespace is the release's namespace (%s): step pods there could mount the database and encryption-key Secrets. Give steps a namespace of their own (the default is %s-steps), or set worker.kubernetes.allowReleaseNamespace=true if you accept that" .Release.Namespace .Release.Namespace) }}
{{- end }}
{{- if and (eq (include "gantry.runnerNamespace" .) .Release.Namespace) .Values.worker.kubernetes.createNamespace }}
{{- fail (printf "worker.kubernetes.createNamespace=true would make the release's own namespace (%s), which exists: set createNamespace=false" .Release.Namespace) }}
{{- end }}
{{- end }}
{{- if and (not .Values.migrations.job.enabled) (eq (int .Values.server.replicas) 0) }}
{{- fail "migrations.job.enabled=false with server.replicas=0: nothing would migrate the schema, and workers would wait for it forever; keep the Job, or run a server" }}
{{- end }}
{{- if ge (int .Values.server.preStopSeconds) (int .Values.server.terminationGracePeriodSeconds) }}
{{- fail (printf "server.preStopSeconds (%d) must be less than server.terminationGracePeriodSeconds (%d): the grace period counts the preStop wait, and what is left of it is the time requests in flight get to finish" (int .Values.server.preStopSeconds) (int .Values.server.terminationGracePeriodSeconds)) }}
{{- end }}
{{- if eq (int .Values.metrics.port) (int .Values.server.port) }}
{{- fail (printf "metrics.port %d is server.port: metrics and probes need a port of their own, which the Service and the Ingress do not route" (int .Values.metrics.port)) }}
{{- end }}
{{- end -}}
