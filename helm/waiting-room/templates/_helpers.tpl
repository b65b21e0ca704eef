{{/* vim: set filetype=mustache: */}}

{{/*
Expand the name of the chart.
*/}}
{{- define "waiting-room.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If the release name contains the chart name it is used as the full name.
*/}}
{{- define "waiting-room.fullname" -}}
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

{{/*
Name of one component's resources: "<fullname>-<component>", capped at 63 chars too.
Usage: {{ include "waiting-room.componentFullname" (dict "ctx" $ "component" "gateway") }}
*/}}
{{- define "waiting-room.componentFullname" -}}
{{- printf "%s-%s" (include "waiting-room.fullname" .ctx) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "waiting-room.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels of the whole release (stable across upgrades: never add version-like labels here).
*/}}
{{- define "waiting-room.selectorLabels" -}}
app.kubernetes.io/name: {{ include "waiting-room.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Common labels of every resource.
*/}}
{{- define "waiting-room.labels" -}}
helm.sh/chart: {{ include "waiting-room.chart" . }}
{{ include "waiting-room.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: waiting-room
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels of one component.
Usage: {{ include "waiting-room.componentSelectorLabels" (dict "ctx" $ "component" "gateway") }}
*/}}
{{- define "waiting-room.componentSelectorLabels" -}}
{{ include "waiting-room.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Common labels of one component's resources.
Usage: {{ include "waiting-room.componentLabels" (dict "ctx" $ "component" "gateway") }}
*/}}
{{- define "waiting-room.componentLabels" -}}
{{ include "waiting-room.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Name of the ServiceAccount the apps run as.
*/}}
{{- define "waiting-room.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "waiting-room.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The container image reference: registry/repository, then @digest or :tag (tag defaults to appVersion).
*/}}
{{- define "waiting-room.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.image.registry -}}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/*
Name of the Secret holding TICKET_SECRET, ADMIN_TOKEN, COUPON_SERVICE_TOKEN and POSTGRES_PASSWORD.
*/}}
{{- define "waiting-room.secretName" -}}
{{- default (include "waiting-room.fullname" .) .Values.auth.existingSecret -}}
{{- end -}}

{{/*
Key names inside the Secret: the chart's own Secret always uses the env var names.
Usage: {{ include "waiting-room.secretKey" (dict "ctx" $ "key" "ticketSecret") }}
*/}}
{{- define "waiting-room.secretKey" -}}
{{- $defaults := dict "ticketSecret" "TICKET_SECRET" "adminToken" "ADMIN_TOKEN" "couponServiceToken" "COUPON_SERVICE_TOKEN" "postgresPassword" "POSTGRES_PASSWORD" "redisPassword" "REDIS_PASSWORD" "ticketPreviousKeys" "TICKET_PREVIOUS_KEYS" "identitySecret" "IDENTITY_SECRET" "kafkaSaslPassword" "KAFKA_SASL_PASSWORD" "redisSentinelPassword" "REDIS_SENTINEL_PASSWORD" -}}
{{- if .ctx.Values.auth.existingSecret -}}
{{- get .ctx.Values.auth.existingSecretKeys .key | default (get $defaults .key) -}}
{{- else -}}
{{- get $defaults .key -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret configuration as KEY: "value" lines. One source for the ConfigMap and for
the migration hook Job (which runs before the ConfigMap exists).
*/}}
{{- define "waiting-room.configData" -}}
NODE_ENV: {{ .Values.config.nodeEnv | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
SWAGGER_ENABLED: {{ .Values.config.swaggerEnabled | quote }}
GATEWAY_HOST: "0.0.0.0"
GATEWAY_PORT: {{ .Values.gateway.containerPort | quote }}
GATEWAY_KEEPALIVE_SECONDS: {{ .Values.config.gatewayKeepaliveSeconds | quote }}
SSE_MAX_CONNECTIONS: {{ .Values.config.sseMaxConnections | quote }}
SSE_KEEPALIVE_SECONDS: {{ .Values.config.sseKeepaliveSeconds | quote }}
SSE_MIN_UPDATE_MS: {{ .Values.config.sseMinUpdateMs | quote }}
SSE_MAX_UPDATE_MS: {{ .Values.config.sseMaxUpdateMs | quote }}
LINE_STATE_MAX_AGE_SECONDS: {{ .Values.config.lineStateMaxAgeSeconds | quote }}
CORS_ORIGINS: {{ join "," .Values.config.corsOrigins | quote }}
TICKET_COOKIE_SECURE: {{ .Values.config.ticketCookieSecure | quote }}
RATE_LIMIT_JOINS_PER_MINUTE: {{ .Values.config.rateLimit.joinsPerMinute | quote }}
RATE_LIMIT_POLLS_PER_MINUTE: {{ .Values.config.rateLimit.pollsPerMinute | quote }}
RATE_LIMIT_KEY: {{ .Values.config.rateLimit.key | quote }}
RATE_LIMIT_ALLOW_LIST: {{ .Values.config.rateLimit.allowList | quote }}
IDENTITY_MODE: {{ .Values.config.identity.mode | quote }}
IDENTITY_JWKS_URL: {{ .Values.config.identity.jwksUrl | quote }}
IDENTITY_ISSUER: {{ .Values.config.identity.issuer | quote }}
IDENTITY_AUDIENCE: {{ .Values.config.identity.audience | quote }}
ADMITTER_HTTP_PORT: {{ .Values.admitter.containerPort | quote }}
ADMITTER_GROUP_ID: {{ .Values.config.admitterGroupId | quote }}
ADMISSION_RATE_PER_SEC: {{ .Values.config.admissionRatePerSec | quote }}
ADMISSION_BURST: {{ .Values.config.admissionBurst | quote }}
ADMISSION_MAX_ACTIVE: {{ .Values.config.admissionMaxActive | quote }}
PASS_TTL_SECONDS: {{ .Values.config.passTtlSeconds | quote }}
ABANDON_AFTER_SECONDS: {{ .Values.config.abandonAfterSeconds | quote }}
ABANDON_SKIP_RATE_PER_SEC: {{ .Values.config.abandonSkipRatePerSec | quote }}
ABANDON_GRACE_SECONDS: {{ .Values.config.abandonGraceSeconds | quote }}
COUPON_SERVICE_HOST: {{ include "waiting-room.componentFullname" (dict "ctx" . "component" "coupon-service") | quote }}
COUPON_SERVICE_BIND_HOST: "0.0.0.0"
COUPON_SERVICE_PORT: {{ .Values.couponService.service.tcpPort | quote }}
COUPON_SERVICE_HTTP_PORT: {{ .Values.couponService.containerPorts.http | quote }}
COUPON_SERVICE_TIMEOUT_MS: {{ .Values.config.couponServiceTimeoutMs | quote }}
COUPON_LOCK_TTL_MS: {{ .Values.config.couponLockTtlMs | quote }}
COUPON_LOCK_WAIT_MS: {{ .Values.config.couponLockWaitMs | quote }}
COUPON_RECONCILE_INTERVAL_MS: {{ .Values.config.couponReconcileIntervalMs | quote }}
COUPON_FENCE_RETENTION_SECONDS: {{ .Values.config.couponFenceRetentionSeconds | quote }}
KAFKA_BROKERS: {{ join "," .Values.externalKafka.brokers | quote }}
KAFKA_CLIENT_ID: {{ .Values.externalKafka.clientId | quote }}
KAFKA_TOPIC_PREFIX: {{ .Values.externalKafka.topicPrefix | quote }}
{{- $kafkaTls := .Values.externalKafka.tls }}
KAFKA_SSL: {{ $kafkaTls.enabled | toString | quote }}
KAFKA_SSL_CA_FILE: {{ include "waiting-room.tlsFile" (dict "on" $kafkaTls.enabled "secret" $kafkaTls.existingSecret "dir" "kafka" "key" $kafkaTls.caKey) | quote }}
KAFKA_SSL_CERT_FILE: {{ include "waiting-room.tlsFile" (dict "on" $kafkaTls.enabled "secret" ($kafkaTls.clientSecret | default $kafkaTls.existingSecret) "dir" (ternary "kafka-client" "kafka" (not (empty $kafkaTls.clientSecret))) "key" $kafkaTls.certKey) | quote }}
KAFKA_SSL_KEY_FILE: {{ include "waiting-room.tlsFile" (dict "on" $kafkaTls.enabled "secret" ($kafkaTls.clientSecret | default $kafkaTls.existingSecret) "dir" (ternary "kafka-client" "kafka" (not (empty $kafkaTls.clientSecret))) "key" $kafkaTls.keyKey) | quote }}
KAFKA_SSL_REJECT_UNAUTHORIZED: {{ $kafkaTls.rejectUnauthorized | toString | quote }}
KAFKA_SASL_MECHANISM: {{ .Values.externalKafka.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ .Values.externalKafka.sasl.username | quote }}
LINE_PARTITIONS: {{ .Values.config.linePartitions | quote }}
LINE_REPLICATION_FACTOR: {{ .Values.config.lineReplicationFactor | quote }}
LINE_MIN_INSYNC_REPLICAS: {{ .Values.config.lineMinInsyncReplicas | quote }}
VIEW_REFRESH_MS: {{ .Values.config.viewRefreshMs | quote }}
ENQUEUE_LINGER_MS: {{ .Values.config.enqueueLingerMs | quote }}
ENQUEUE_MAX_BATCH: {{ .Values.config.enqueueMaxBatch | quote }}
REDIS_HOST: {{ .Values.externalRedis.host | quote }}
REDIS_PORT: {{ .Values.externalRedis.port | quote }}
REDIS_KEY_PREFIX: {{ .Values.externalRedis.keyPrefix | quote }}
REDIS_USERNAME: {{ .Values.externalRedis.username | quote }}
{{- $redisTls := .Values.externalRedis.tls }}
REDIS_TLS: {{ $redisTls.enabled | toString | quote }}
REDIS_TLS_CA_FILE: {{ include "waiting-room.tlsFile" (dict "on" $redisTls.enabled "secret" $redisTls.existingSecret "dir" "redis" "key" $redisTls.caKey) | quote }}
REDIS_TLS_CERT_FILE: {{ include "waiting-room.tlsFile" (dict "on" $redisTls.enabled "secret" ($redisTls.clientSecret | default $redisTls.existingSecret) "dir" (ternary "redis-client" "redis" (not (empty $redisTls.clientSecret))) "key" $redisTls.certKey) | quote }}
REDIS_TLS_KEY_FILE: {{ include "waiting-room.tlsFile" (dict "on" $redisTls.enabled "secret" ($redisTls.clientSecret | default $redisTls.existingSecret) "dir" (ternary "redis-client" "redis" (not (empty $redisTls.clientSecret))) "key" $redisTls.keyKey) | quote }}
REDIS_TLS_REJECT_UNAUTHORIZED: {{ $redisTls.rejectUnauthorized | toString | quote }}
REDIS_SENTINELS: {{ join "," .Values.externalRedis.sentinel.nodes | quote }}
REDIS_SENTINEL_MASTER_NAME: {{ .Values.externalRedis.sentinel.masterName | quote }}
REDIS_SENTINEL_USERNAME: {{ .Values.externalRedis.sentinel.username | quote }}
POSTGRES_HOST: {{ .Values.externalDatabase.host | quote }}
POSTGRES_PORT: {{ .Values.externalDatabase.port | quote }}
POSTGRES_USER: {{ .Values.externalDatabase.user | quote }}
POSTGRES_DB: {{ .Values.externalDatabase.database | quote }}
POSTGRES_POOL_SIZE: {{ .Values.externalDatabase.poolSize | quote }}
{{- $pgSsl := .Values.externalDatabase.ssl }}
POSTGRES_SSL_MODE: {{ $pgSsl.mode | quote }}
POSTGRES_SSL_CA_FILE: {{ include "waiting-room.tlsFile" (dict "on" (ne $pgSsl.mode "disable") "secret" $pgSsl.existingSecret "dir" "postgres" "key" $pgSsl.caKey) | quote }}
TICKET_KEY_ID: {{ .Values.auth.ticketKeyId | quote }}
TICKET_TTL_SECONDS: {{ .Values.auth.ticketTtlSeconds | quote }}
{{- end -}}

{{/*
Hash of the secret inputs, so pods roll when a chart-managed secret changes
(an existing Secret is the operator's to roll).
*/}}
{{- define "waiting-room.secretChecksum" -}}
{{- list .Values.auth.existingSecret .Values.auth.ticketSecret .Values.auth.adminToken .Values.auth.couponServiceToken .Values.auth.ticketPreviousKeys .Values.auth.identitySecret .Values.externalDatabase.password .Values.externalRedis.password .Values.externalKafka.sasl.password .Values.externalKafka.sasl.existingSecret .Values.externalRedis.sentinel.password | toJson | sha256sum -}}
{{- end -}}

{{/*
Secret env vars (valueFrom secretKeyRef) shared by every container.
Usage: {{ include "waiting-room.secretEnv" (dict "ctx" $ "secretName" "name") }}
The optional keys (REDIS_PASSWORD, TICKET_PREVIOUS_KEYS, IDENTITY_SECRET, KAFKA_SASL_PASSWORD,
REDIS_SENTINEL_PASSWORD) may be missing from an existing Secret: the apps' boot check then
names what a setting needs (a SASL mechanism its password). KAFKA_SASL_PASSWORD comes from
externalKafka.sasl.existingSecret when one is named (not optional: the Secret is there for it).
*/}}
{{- define "waiting-room.secretEnv" -}}
{{- $ctx := .ctx -}}
{{- range $env, $key := dict "TICKET_SECRET" "ticketSecret" "ADMIN_TOKEN" "adminToken" "COUPON_SERVICE_TOKEN" "couponServiceToken" "POSTGRES_PASSWORD" "postgresPassword" "REDIS_PASSWORD" "redisPassword" "TICKET_PREVIOUS_KEYS" "ticketPreviousKeys" "IDENTITY_SECRET" "identitySecret" "KAFKA_SASL_PASSWORD" "kafkaSaslPassword" "REDIS_SENTINEL_PASSWORD" "redisSentinelPassword" }}
{{- $sasl := $ctx.Values.externalKafka.sasl }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      {{- if and (eq $env "KAFKA_SASL_PASSWORD") $sasl.existingSecret }}
      name: {{ $sasl.existingSecret }}
      key: {{ $sasl.existingSecretPasswordKey }}
      {{- else }}
      name: {{ $.secretName }}
      key: {{ include "waiting-room.secretKey" (dict "ctx" $ctx "key" $key) }}
      {{- if has $env (list "REDIS_PASSWORD" "TICKET_PREVIOUS_KEYS" "IDENTITY_SECRET" "KAFKA_SASL_PASSWORD" "REDIS_SENTINEL_PASSWORD") }}
      optional: true
      {{- end }}
      {{- end }}
{{- end }}
{{- end -}}

{{/*
The path of one key of a TLS Secret inside every pod, or "" (the variable unset) when the
service's TLS is off, no Secret holds it or the key is empty.
Usage: {{ include "waiting-room.tlsFile" (dict "on" .Values.externalKafka.tls.enabled "secret" .Values.externalKafka.tls.existingSecret "dir" "kafka" "key" .Values.externalKafka.tls.caKey) }}
*/}}
{{- define "waiting-room.tlsFile" -}}
{{- if and .on .secret .key -}}
/etc/waiting-room/tls/{{ .dir }}/{{ .key }}
{{- end -}}
{{- end -}}

{{/*
The TLS Secrets every pod mounts (Kafka's, Redis' and PostgreSQL's CAs and the client
certificates' Secrets, those in use), as a
YAML list of {name, secret, dir} (read it with fromYamlArray). Every pod gets all of them:
each app checks at boot that every file its environment names exists.
*/}}
{{- define "waiting-room.tlsSecrets" -}}
{{- $kafka := .Values.externalKafka.tls -}}
{{- $redis := .Values.externalRedis.tls -}}
{{- $pg := .Values.externalDatabase.ssl -}}
{{- if and $kafka.enabled $kafka.existingSecret }}
- {name: kafka-tls, secret: {{ $kafka.existingSecret | quote }}, dir: kafka}
{{- end }}
{{- if and $kafka.enabled $kafka.clientSecret }}
- {name: kafka-client-tls, secret: {{ $kafka.clientSecret | quote }}, dir: kafka-client}
{{- end }}
{{- if and $redis.enabled $redis.existingSecret }}
- {name: redis-tls, secret: {{ $redis.existingSecret | quote }}, dir: redis}
{{- end }}
{{- if and $redis.enabled $redis.clientSecret }}
- {name: redis-client-tls, secret: {{ $redis.clientSecret | quote }}, dir: redis-client}
{{- end }}
{{- if and (ne $pg.mode "disable") $pg.existingSecret }}
- {name: postgres-tls, secret: {{ $pg.existingSecret | quote }}, dir: postgres}
{{- end }}
{{- end -}}

{{/*
volumeMounts entries of the TLS Secrets (read-only, under /etc/waiting-room/tls/).
*/}}
{{- define "waiting-room.tlsVolumeMounts" -}}
{{- range (include "waiting-room.tlsSecrets" . | fromYamlArray) }}
- name: {{ .name }}
  mountPath: /etc/waiting-room/tls/{{ .dir }}
  readOnly: true
{{- end }}
{{- end -}}

{{/*
volumes entries of the TLS Secrets. The files are readable by the pods' group (fsGroup,
0440) when the pod security context sets one, else by everyone in the container (0444):
the apps run as a non-root user.
*/}}
{{- define "waiting-room.tlsVolumes" -}}
{{- $mode := ternary 288 292 (and .Values.podSecurityContext.enabled (not (empty .Values.podSecurityContext.fsGroup))) -}}
{{- range (include "waiting-room.tlsSecrets" . | fromYamlArray) }}
- name: {{ .name }}
  secret:
    secretName: {{ .secret }}
    defaultMode: {{ $mode }}
{{- end }}
{{- end -}}

{{/*
The paths the gateway's Ingress routes, as a YAML list of {path, pathType} (read it
with fromYamlArray): the waiting page and the public API only. An Ingress has no
"exclude", so each public prefix is listed; /api/admin, /docs, /metrics and /health
stay cluster-internal unless gateway.ingress.expose* opts in.
*/}}
{{- define "waiting-room.gatewayIngressPaths" -}}
{{- $ingress := .Values.gateway.ingress -}}
- {path: /, pathType: Exact}              # the list of lines
- {path: /lines, pathType: Prefix}        # /lines/{code}: a line's waiting page
- {path: /assets, pathType: Prefix}       # the page's script and style
- {path: /api/coupons, pathType: Prefix}  # the catalog and POST /api/coupons/{code}/issue
- {path: /api/queue, pathType: Prefix}    # tickets: status, events, heartbeat, leave
- {path: /api/lines, pathType: Prefix}    # line states
- {path: /api/users, pathType: Prefix}    # /api/users/{userId}/coupons: a user's wallet
{{- if $ingress.exposeAdmin }}
- {path: /api/admin, pathType: Prefix}
{{- end }}
{{- if $ingress.exposeDocs }}
- {path: /docs, pathType: Prefix}
{{- end }}
{{- if $ingress.exposeMetrics }}
- {path: /metrics, pathType: Prefix}
{{- end }}
{{- if $ingress.exposeHealth }}
- {path: /health, pathType: Prefix}
{{- end }}
{{- range $ingress.extraPaths }}
- path: {{ .path | quote }}
  pathType: {{ .pathType | default "Prefix" | quote }}
{{- end }}
{{- end -}}

{{/*
Pod security context (the `enabled` switch is not a Kubernetes field).
*/}}
{{- define "waiting-room.podSecurityContext" -}}
{{- if .Values.podSecurityContext.enabled }}
securityContext:
  {{- omit .Values.podSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Container security context (the `enabled` switch is not a Kubernetes field).
*/}}
{{- define "waiting-room.containerSecurityContext" -}}
{{- if .Values.containerSecurityContext.enabled }}
securityContext:
  {{- omit .Values.containerSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Pod affinity: the component's own affinity, else the anti-affinity preset.
Usage: {{ include "waiting-room.affinity" (dict "ctx" $ "component" "gateway" "affinity" .Values.gateway.affinity) }}
*/}}
{{- define "waiting-room.affinity" -}}
{{- if .affinity }}
affinity:
  {{- toYaml .affinity | nindent 2 }}
{{- else if eq .ctx.Values.podAntiAffinityPreset "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "waiting-room.componentSelectorLabels" (dict "ctx" .ctx "component" .component) | nindent 14 }}
{{- else if eq .ctx.Values.podAntiAffinityPreset "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "waiting-room.componentSelectorLabels" (dict "ctx" .ctx "component" .component) | nindent 12 }}
{{- end }}
{{- end -}}

{{/*
Scheduling fields shared by every pod: nodeSelector, tolerations, priorityClassName.
*/}}
{{- define "waiting-room.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
An HTTP probe. Usage: {{ include "waiting-room.httpProbe" (dict "probe" .Values.gateway.livenessProbe "path" "/health/live" "port" "http") }}
*/}}
{{- define "waiting-room.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{ omit .probe "enabled" | toYaml }}
{{- end -}}

{{/*
A PodDisruptionBudget spec body: maxUnavailable wins when set.
*/}}
{{- define "waiting-room.pdbSpec" -}}
{{- if and (not (kindIs "invalid" .maxUnavailable)) (ne (toString .maxUnavailable) "") -}}
maxUnavailable: {{ .maxUnavailable }}
{{- else -}}
minAvailable: {{ .minAvailable }}
{{- end -}}
{{- end -}}

{{/*
Compile every validation message into one and fail when any is set.
*/}}
{{- define "waiting-room.validateValues" -}}
{{- $messages := list -}}
{{- $messages = append $messages (include "waiting-room.validateValues.ticketSecret" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.adminToken" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.couponServiceToken" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.postgresPassword" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.externalServices" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.admitter" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.gatewayIngress" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.kafkaSecurity" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.redisSecurity" .) -}}
{{- $messages = append $messages (include "waiting-room.validateValues.databaseSsl" .) -}}
{{- $messages = without $messages "" -}}
{{- $message := join "\n" $messages -}}
{{- if $message -}}
{{- printf "\nVALUES VALIDATION:\n%s" $message | fail -}}
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - TICKET_SECRET */}}
{{- define "waiting-room.validateValues.ticketSecret" -}}
{{- if not .Values.auth.existingSecret -}}
{{- if not .Values.auth.ticketSecret -}}
waiting-room: auth.ticketSecret
    A ticket signing secret is required (at least 32 characters). Set it with
    --set auth.ticketSecret=$(openssl rand -hex 32), or put TICKET_SECRET, ADMIN_TOKEN,
    COUPON_SERVICE_TOKEN and POSTGRES_PASSWORD in a Secret and set auth.existingSecret.
{{- else if lt (len .Values.auth.ticketSecret) 32 -}}
waiting-room: auth.ticketSecret
    auth.ticketSecret must be at least 32 characters (it has {{ len .Values.auth.ticketSecret }}).
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - ADMIN_TOKEN */}}
{{- define "waiting-room.validateValues.adminToken" -}}
{{- if not .Values.auth.existingSecret -}}
{{- if not .Values.auth.adminToken -}}
waiting-room: auth.adminToken
    An admin token is required (at least 16 characters). Set it with
    --set auth.adminToken=$(openssl rand -hex 16), or set auth.existingSecret.
{{- else if lt (len .Values.auth.adminToken) 16 -}}
waiting-room: auth.adminToken
    auth.adminToken must be at least 16 characters (it has {{ len .Values.auth.adminToken }}).
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - COUPON_SERVICE_TOKEN */}}
{{- define "waiting-room.validateValues.couponServiceToken" -}}
{{- if not .Values.auth.existingSecret -}}
{{- if not .Values.auth.couponServiceToken -}}
waiting-room: auth.couponServiceToken
    A coupon-service token is required (at least 16 characters): the gateway sends it
    with every call and the coupon service refuses a call without it. Set it with
    --set auth.couponServiceToken=$(openssl rand -hex 32), or set auth.existingSecret.
{{- else if lt (len .Values.auth.couponServiceToken) 16 -}}
waiting-room: auth.couponServiceToken
    auth.couponServiceToken must be at least 16 characters (it has {{ len .Values.auth.couponServiceToken }}).
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - POSTGRES_PASSWORD */}}
{{- define "waiting-room.validateValues.postgresPassword" -}}
{{- if and (not .Values.auth.existingSecret) (not .Values.externalDatabase.password) -}}
waiting-room: externalDatabase.password
    The PostgreSQL password is required: set externalDatabase.password, or set auth.existingSecret.
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - external Kafka, Redis and PostgreSQL endpoints */}}
{{- define "waiting-room.validateValues.externalServices" -}}
{{- $missing := list -}}
{{- if not .Values.externalKafka.brokers -}}{{- $missing = append $missing "externalKafka.brokers" -}}{{- end -}}
{{- if and (not .Values.externalRedis.host) (not .Values.externalRedis.sentinel.nodes) -}}{{- $missing = append $missing "externalRedis.host" -}}{{- end -}}
{{- if not .Values.externalDatabase.host -}}{{- $missing = append $missing "externalDatabase.host" -}}{{- end -}}
{{- if $missing -}}
waiting-room: {{ join ", " $missing }}
    This chart does not install Kafka, Redis or PostgreSQL: point it at yours with
    {{ join ", " $missing }}.
{{- end -}}
{{- end -}}

{{/*
A client certificate named without its key (or the other way round), or without a Secret.
Usage: {{ include "waiting-room.validateValues.clientCert" (dict "tls" .Values.externalKafka.tls "path" "externalKafka.tls") }}
*/}}
{{- define "waiting-room.validateValues.clientCert" -}}
{{- if ne (empty .tls.certKey) (empty .tls.keyKey) }}
waiting-room: {{ .path }}.certKey, {{ .path }}.keyKey
    A client certificate needs its private key: set both {{ .path }}.certKey and keyKey, or neither.
{{- end }}
{{- if and (or .tls.certKey .tls.keyKey) (not .tls.clientSecret) (not .tls.existingSecret) }}
waiting-room: {{ .path }}.clientSecret
    {{ .path }}.certKey and keyKey name keys of a Secret: set {{ .path }}.clientSecret (or existingSecret).
{{- end }}
{{- end -}}

{{/* Validate values of waiting-room - Kafka TLS and SASL */}}
{{- define "waiting-room.validateValues.kafkaSecurity" -}}
{{- $sasl := .Values.externalKafka.sasl -}}
{{- if not (has $sasl.mechanism (list "none" "plain" "scram-sha-256" "scram-sha-512")) }}
waiting-room: externalKafka.sasl.mechanism
    Must be none, plain, scram-sha-256 or scram-sha-512 (got {{ $sasl.mechanism | quote }}).
{{- else if ne $sasl.mechanism "none" }}
{{- if not $sasl.username }}
waiting-room: externalKafka.sasl.username
    SASL ({{ $sasl.mechanism }}) needs a user name: set externalKafka.sasl.username.
{{- end }}
{{- if and (not $sasl.password) (not .Values.auth.existingSecret) (not $sasl.existingSecret) }}
waiting-room: externalKafka.sasl.password
    SASL ({{ $sasl.mechanism }}) needs a password: set externalKafka.sasl.password, name a
    Secret holding it (externalKafka.sasl.existingSecret), or put KAFKA_SASL_PASSWORD in the
    Secret named by auth.existingSecret.
{{- end }}
{{- end }}
{{- if .Values.externalKafka.tls.enabled }}
{{- include "waiting-room.validateValues.clientCert" (dict "tls" .Values.externalKafka.tls "path" "externalKafka.tls") }}
{{- end }}
{{- end -}}

{{/* Validate values of waiting-room - Redis TLS, ACL user and Sentinel */}}
{{- define "waiting-room.validateValues.redisSecurity" -}}
{{- $redis := .Values.externalRedis -}}
{{- if and $redis.username (not $redis.password) (not .Values.auth.existingSecret) }}
waiting-room: externalRedis.password
    An ACL user (externalRedis.username) needs its password: set externalRedis.password, or
    put REDIS_PASSWORD in the Secret named by auth.existingSecret.
{{- end }}
{{- if $redis.tls.enabled }}
{{- include "waiting-room.validateValues.clientCert" (dict "tls" $redis.tls "path" "externalRedis.tls") }}
{{- end }}
{{- if and $redis.sentinel.nodes (not $redis.sentinel.masterName) }}
waiting-room: externalRedis.sentinel.masterName
    With Sentinel nodes, name the master group they watch.
{{- end }}
{{- range $redis.sentinel.nodes }}
{{- if not (regexMatch `^[^,\s:]+:[0-9]{1,5}$` (toString .)) }}
waiting-room: externalRedis.sentinel.nodes
    Each Sentinel is host:port (got {{ . | quote }}).
{{- end }}
{{- end }}
{{- end -}}

{{/* Validate values of waiting-room - PostgreSQL SSL */}}
{{- define "waiting-room.validateValues.databaseSsl" -}}
{{- $ssl := .Values.externalDatabase.ssl -}}
{{- if not (has $ssl.mode (list "disable" "require" "verify-ca" "verify-full")) }}
waiting-room: externalDatabase.ssl.mode
    Must be disable, require, verify-ca or verify-full (got {{ $ssl.mode | quote }}).
{{- else if and (eq $ssl.mode "verify-ca") (not (and $ssl.existingSecret $ssl.caKey)) }}
waiting-room: externalDatabase.ssl.existingSecret
    verify-ca checks the server's certificate against a CA: name the Secret holding it
    (externalDatabase.ssl.existingSecret, key externalDatabase.ssl.caKey).
{{- end }}
{{- end -}}

{{/* Validate values of waiting-room - admitter replicas */}}
{{- define "waiting-room.validateValues.admitter" -}}
{{- if lt (int .Values.admitter.replicaCount) 1 -}}
waiting-room: admitter.replicaCount
    At least one admitter is required, or no ticket is ever admitted (2 gives a hot standby).
{{- end -}}
{{- end -}}

{{/* Validate values of waiting-room - gateway Ingress paths */}}
{{- define "waiting-room.validateValues.gatewayIngress" -}}
{{- if .Values.gateway.ingress.enabled -}}
{{- $withPaths := list -}}
{{- range .Values.gateway.ingress.hosts -}}
{{- if .paths -}}{{- $withPaths = append $withPaths (.host | default "(any host)") -}}{{- end -}}
{{- end -}}
{{- $badExtra := list -}}
{{- range .Values.gateway.ingress.extraPaths -}}
{{- if not (hasPrefix "/" (toString .path)) -}}{{- $badExtra = append $badExtra (toString .path) -}}{{- end -}}
{{- end -}}
{{- if $withPaths }}
waiting-room: gateway.ingress.hosts[].paths
    The gateway's Ingress routes only the public paths (/, /lines, /assets, /api/coupons,
    /api/queue, /api/lines, /api/users) to every host and reads no per-host paths (set
    for {{ join ", " $withPaths }}): remove them. To route more, set
    gateway.ingress.exposeAdmin, exposeDocs, exposeMetrics, exposeHealth or extraPaths.
{{- end }}
{{- if $badExtra }}
waiting-room: gateway.ingress.extraPaths
    Every path must start with "/" (got {{ join ", " $badExtra }}).
{{- end }}
{{- end -}}
{{- end -}}

{{/*
PromQL label matchers that pick this release's series: metrics.prometheusRule.selector,
else the release namespace and this release's three Services (what the ServiceMonitor
scrapes; Prometheus adds the namespace and service labels).
*/}}
{{- define "waiting-room.metricsSelector" -}}
{{- if .Values.metrics.prometheusRule.selector -}}
{{- .Values.metrics.prometheusRule.selector -}}
{{- else -}}
namespace="{{ .Release.Namespace }}",service=~"{{ include "waiting-room.fullname" . }}-(gateway|admitter|coupon-service)"
{{- end -}}
{{- end -}}
