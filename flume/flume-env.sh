# flume-env.sh for the faultportal Hadoop log agent. bin/flume-ng sources this file from its
# --conf directory (/opt/flume/conf) before it starts the JVM; install it there.

# The agent's JVM. flume-ng's own default is -Xmx20m; four file channels of 10000 lines each keep
# only small in-memory queues, so 256 MB is ample. The HTTP monitoring server serves the agent's
# counters as JSON on http://<node>:34545/metrics (EventDrainSuccessCount, ChannelSize, ...);
# block the port at the firewall if it must not be reachable from outside the cluster.
export JAVA_OPTS="${JAVA_OPTS:-} -Xms64m -Xmx256m -Dflume.monitoring.type=http -Dflume.monitoring.port=34545"

# The name this node's lines carry in the portal (?host=...). It must be the name operators know the
# node by (the one in the cluster status and the NameNode's DataNode list), so the fully qualified
# name unless the cluster uses short names: then export FLUME_HOST before starting the agent.
# It is always set here: an unset ${env:FLUME_HOST} would reach the portal as literal text.
export FLUME_HOST="${FLUME_HOST:-$(hostname -f 2>/dev/null || hostname)}"

# The portal's host name and this node's ingest token come from a root-only file, never from this
# file (which is world-readable): /etc/flume/faultportal.env, mode 0600, owner root, with
#   FAULTPORTAL_HOST=portal.example.com
#   FAULTPORTAL_TOKEN=fpt_...
# Under systemd the unit's EnvironmentFile= reads it as root and hands the values to the agent; the
# lines below only help when an administrator starts flume-ng by hand as root.
FAULTPORTAL_ENV_FILE="${FAULTPORTAL_ENV_FILE:-/etc/flume/faultportal.env}"
if [ -z "${FAULTPORTAL_TOKEN:-}" ] && [ -r "$FAULTPORTAL_ENV_FILE" ]; then
  set -a
  . "$FAULTPORTAL_ENV_FILE"
  set +a
fi
if [ -z "${FAULTPORTAL_HOST:-}" ] || [ -z "${FAULTPORTAL_TOKEN:-}" ]; then
  echo "flume-env.sh: FAULTPORTAL_HOST or FAULTPORTAL_TOKEN is not set ($FAULTPORTAL_ENV_FILE)." \
    "Fine with a rendered per-host configuration; with hadoop-log-agent.conf as shipped the" \
    "sinks would send the literal text \${env:...} and get no answer or a 401." >&2
fi
