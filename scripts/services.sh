#!/usr/bin/env bash
# Starts the stand-ins a machine without a display or sound card needs for Augur's tests:
# Xvfb (a real X server in memory) and PulseAudio with a null sink whose monitor is the
# microphone this shell's programs hear (PULSE_SOURCE), with a 440 Hz sine playing into it.
# Source it: `. scripts/services.sh`. It starts only what is missing; on a desktop's own
# PulseAudio it adds the null sink and sine but leaves the default speaker and microphone be.

augur_services_log="${TMPDIR:-/tmp}/augur-services.log"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  export DISPLAY=:99
  augur_new_x=0
  if ! pgrep -f "Xvfb :99( |$)" >/dev/null 2>&1; then
    # A killed Xvfb leaves its lock and socket behind; they would stop a new one starting.
    rm -f /tmp/.X99-lock /tmp/.X11-unix/X99 2>/dev/null || true
    Xvfb :99 -screen 0 1600x1000x24 -nolisten tcp >>"$augur_services_log" 2>&1 &
    augur_new_x=1
    for _ in $(seq 50); do [ -e /tmp/.X11-unix/X99 ] && break; sleep 0.1; done
  fi
  if [ -e /tmp/.X11-unix/X99 ]; then
    # A window manager, as a desktop has: full screen (demo mode) is the window manager's doing.
    # A new X server gets its own (an openbox still exiting with the last one would not do).
    augur_wm=""
    if command -v openbox >/dev/null 2>&1; then
      if [ "$augur_new_x" = 1 ] || ! pgrep -x openbox >/dev/null 2>&1; then
        openbox >>"$augur_services_log" 2>&1 &
      fi
      augur_wm=", with openbox"
    fi
    echo "services: Xvfb on DISPLAY=$DISPLAY$augur_wm"
  else
    echo "services: Xvfb did not start (is it installed? scripts/install-deps.sh installs it; see $augur_services_log)" >&2
  fi
fi

# Whether the PulseAudio in use is one this script starts (now or in an earlier run: it runs
# with -n and --disallow-exit, which a desktop's does not); only such a one has the stand-ins
# made its defaults and is restarted when it goes silent. A desktop's own is left as it is.
augur_own_pulse=0
augur_pulse_is_ours() {
  # The server pactl talks to: its socket's folder holds its pid.
  local socket pid
  socket=$(pactl info 2>/dev/null | sed -n 's/^Server String: //p')
  pid=$(cat "$(dirname "${socket:-/nonexistent/x}")/pid" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--disallow-exit -n"
}

# Starts PulseAudio (when none runs) with the null sink and the sine playing into it.
augur_start_pulse() {
  if ! pactl info >/dev/null 2>&1; then
    # Root (CI) is allowed a per-user daemon; --exit-idle-time=-1 keeps it up between tests.
    pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
      --load="module-native-protocol-unix" --load="module-always-sink" >>"$augur_services_log" 2>&1 || true
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  pactl info >/dev/null 2>&1 || return 1
  augur_own_pulse=0
  augur_pulse_is_ours && augur_own_pulse=1
  if ! pactl list short sinks | grep -q augur_null; then
    pactl load-module module-null-sink sink_name=augur_null sink_properties=device.description=AugurNull >/dev/null ||
      return 1
  fi
  # What this shell's programs hear and play into: the stand-ins, whatever the defaults.
  export PULSE_SOURCE=augur_null.monitor PULSE_SINK=augur_null
  if [ "$augur_own_pulse" = 1 ]; then
    pactl set-default-sink augur_null || return 1
    pactl set-default-source augur_null.monitor || return 1
  fi
  # Asked of this server, not of the process list: a sine playing into another PulseAudio
  # (another XDG_RUNTIME_DIR) would leave this microphone silent.
  if ! pactl list sink-inputs 2>/dev/null | grep -q 'media.name = "augur-sine"'; then
    # -re plays in real time, like a person humming into the microphone.
    (exec -a augur-sine ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=440:sample_rate=48000" \
      -af volume=0.5 -f pulse -device augur_null "augur-sine") >>"$augur_services_log" 2>&1 &
    for _ in $(seq 50); do
      pactl list sink-inputs 2>/dev/null | grep -q 'media.name = "augur-sine"' && break
      sleep 0.1
    done
  fi
}

# Whether the microphone hears the sine: a second and a half of it, read as 8 kHz 16-bit mono,
# must hold sound (not only zeros). A daemon or a sine left running for hours has been seen to
# stop delivering, which stalls every test that waits for recorded seconds.
# A sine just started takes a moment to be heard, so it gets three tries.
augur_mic_hears() {
  local heard
  for _ in 1 2 3; do
    heard=$(timeout 1.5 parec --latency-msec=50 -d augur_null.monitor --raw --format=s16le --rate=8000 --channels=1 \
      2>/dev/null | tr -d '\000' | wc -c)
    [ "${heard:-0}" -gt 2000 ] && return 0
  done
  return 1
}

if command -v pulseaudio >/dev/null 2>&1; then
  # Sourced under `set -e` (check.sh): a failure here must say so, not end the caller silently.
  augur_start_pulse || true
  if pactl info >/dev/null 2>&1 && command -v parec >/dev/null 2>&1 && ! augur_mic_hears; then
    if [ "$augur_own_pulse" = 1 ]; then
      echo "services: the microphone stand-in was silent; restarting PulseAudio and the sine"
      pkill -f '^augur-sine' 2>/dev/null || true
      pulseaudio -k >/dev/null 2>&1 || true
      for _ in $(seq 50); do pactl info >/dev/null 2>&1 || break; sleep 0.1; done
      augur_start_pulse || true
    fi
    augur_mic_hears || echo "services: the microphone stand-in is silent; recording tests may time out (see $augur_services_log)"
  fi
  if pactl info >/dev/null 2>&1; then
    echo "services: PulseAudio with a 440 Hz sine on the microphone augur_null.monitor (PULSE_SOURCE)"
  else
    echo "services: PulseAudio would not start; microphone tests will fail under scripts/check.sh and skip elsewhere (see $augur_services_log)"
  fi
fi
