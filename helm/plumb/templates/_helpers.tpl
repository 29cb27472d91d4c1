{{/* Names and labels. The chart sticks to the template subset documented in helm/README.md. */}}
{{- define "plumb.fullname" -}}
{{ .Release.Name }}-plumb
{{- end }}

{{- define "plumb.selectorLabels" -}}
app.kubernetes.io/name: plumb
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "plumb.labels" -}}
{{ include "plumb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "plumb.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{ .Values.secret.existingSecret }}
{{- else -}}
{{ include "plumb.fullname" . }}
{{- end -}}
{{- end }}

{{- define "plumb.imageTag" -}}
{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
