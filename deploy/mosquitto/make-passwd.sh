#!/bin/sh
# Build /deploy/passwd (hashed, PBKDF2-SHA512) from the environment; run through
#   docker compose --profile setup run --rm mosquitto-passwd
# MQTT_VENDOR_USERS is a space-separated list of vendor:password pairs.
set -eu
out=/deploy/passwd
: > "$out.new"
mosquitto_passwd -b "$out.new" "$MQTT_COLLECTOR_USER" "$MQTT_COLLECTOR_PASSWORD"
for pair in ${MQTT_VENDOR_USERS:-}; do
  user=${pair%%:*}
  pass=${pair#*:}
  mosquitto_passwd -b "$out.new" "$user" "$pass"
done
chown 1883:1883 "$out.new"  # the mosquitto user of the eclipse-mosquitto image
chmod 0600 "$out.new"
mv "$out.new" "$out"
echo "wrote $out with $(wc -l < "$out") users"
