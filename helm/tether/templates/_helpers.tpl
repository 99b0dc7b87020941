{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "tether.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name, the prefix of every object the chart creates. Trimmed to 50 characters
rather than 63 because suffixes such as "-origin-headless" are appended to it and object names
that end up in DNS labels must stay within 63.
*/}}
{{- define "tether.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "tether.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object. Call with the root context.
*/}}
{{- define "tether.labels" -}}
helm.sh/chart: {{ include "tether.chart" . }}
app.kubernetes.io/name: {{ include "tether.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tether
{{- end }}

{{/*
Labels that select one component's pods. They never change between upgrades (selectors of
Deployments and StatefulSets are immutable), so they hold no version.
Call with (dict "context" $ "component" "operator").
*/}}
{{- define "tether.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tether.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
All labels of one component: the common labels plus its selector labels.
Call with (dict "context" $ "component" "operator").
*/}}
{{- define "tether.componentLabels" -}}
{{ include "tether.labels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of the operator's ServiceAccount.
*/}}
{{- define "tether.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tether.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A container image reference from an image block of values; the tag defaults to the chart's
appVersion so that one chart version installs one consistent set of Tether images.
Call with (dict "image" .Values.operator.image "context" $).
*/}}
{{- define "tether.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .context.Chart.AppVersion | toString) }}
{{- end }}

{{/*
Names shared between templates (and with the operator through its environment).
*/}}
{{- define "tether.originName" -}}
{{- printf "%s-origin" (include "tether.fullname" .) }}
{{- end }}

{{- define "tether.originTokenSecretName" -}}
{{- printf "%s-origin-token" (include "tether.fullname" .) }}
{{- end }}

{{- define "tether.nodeApiServiceName" -}}
{{- printf "%s-node-api" (include "tether.fullname" .) }}
{{- end }}

{{- define "tether.nodeApiCaSecretName" -}}
{{- default (printf "%s-node-api-ca" (include "tether.fullname" .)) .Values.nodeApi.caSecretName }}
{{- end }}

{{- define "tether.sshCaSecretName" -}}
{{- default (printf "%s-ssh-ca" (include "tether.fullname" .)) .Values.nodeApi.sshCa.secretName }}
{{- end }}

{{/*
The rules the operator needs in every namespace it manages Tether resources in. One list for
both the ClusterRole (all namespaces) and the per-namespace Roles (watchNamespaces), so the
two modes can never grant different things.
*/}}
{{- define "tether.operatorRules" -}}
# The Tether resources: the operator watches them, and patches their metadata to add and
# remove its finalizer and to acknowledge annotations (such as a re-arm request).
- apiGroups: ["tether.dev"]
  resources: ["disklessimages", "nodeprofiles", "nodecredentials"]
  verbs: ["get", "list", "watch", "patch", "update"]
# Status (phase, digests, ready edges, key state) is written through the status subresource.
- apiGroups: ["tether.dev"]
  resources: ["disklessimages/status", "nodeprofiles/status", "nodecredentials/status", "discoverednodes/status"]
  verbs: ["get", "patch", "update"]
# Discovery: the operator records machines that register (DiscoveredNodes, bounded per profile: the
# oldest is deleted) and notes their later registrations in annotations.
- apiGroups: ["tether.dev"]
  resources: ["discoverednodes"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# Enrolment: an accepted DiscoveredNode becomes a NodeCredential, created by the operator.
- apiGroups: ["tether.dev"]
  resources: ["nodecredentials"]
  verbs: ["create"]
# The Jobs, Secrets and DaemonSets the operator creates point back at their Tether resource with
# blockOwnerDeletion; where the OwnerReferencesPermissionEnforcement admission plugin is on
# (hardened clusters, OpenShift) setting that needs update on the owner's finalizers.
- apiGroups: ["tether.dev"]
  resources: ["disklessimages/finalizers", "nodeprofiles/finalizers", "nodecredentials/finalizers", "discoverednodes/finalizers"]
  verbs: ["update"]
# Image encryption keys, salted API-key hashes and the SSH CA live in Secrets the operator
# creates, rotates and removes together with their owner.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# ConfigMaps hold per-profile boot files (iPXE script, addon archive); Services front each
# profile's edge DaemonSet.
- apiGroups: [""]
  resources: ["configmaps", "services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# Builder pods are read for their termination message (the build result, and a failed build's last
# lines, which go into the DisklessImage's status: no pods/log needed) and edge pods for readiness;
# the operator never creates pods directly, Jobs and DaemonSets do.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Events on the Tether resources tell the administrator what happened (core API, used by
# older client paths) ...
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# ... and through events.k8s.io, which current clients use.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# One builder Job per image build. The operator deletes a running one when a newer spec supersedes
# it; Kubernetes removes finished ones a day after they end (ttlSecondsAfterFinished), once their
# log has had time to be read.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
# One edge DaemonSet per NodeProfile (content servers the nodes boot from).
- apiGroups: ["apps"]
  resources: ["daemonsets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}

{{/*
The names of .Values.imagePullSecrets, comma-separated, for the pods the operator creates.
*/}}
{{- define "tether.imagePullSecretNames" -}}
{{- $names := list }}
{{- range .Values.imagePullSecrets }}
{{- $names = append $names .name }}
{{- end }}
{{- join "," $names }}
{{- end }}
