# shellcheck shell=bash
# The address the SAM check's engine listens on: one of this host's own,
# which the functions' containers reach as host.docker.internal
# (sam-local-invoke adds host.docker.internal:host-gateway, the default
# bridge's gateway). Sourced by scripts/sam-local-check;
# scripts/test-docker-bridge tests every way below with a stand-in docker
# and ip, without Docker.
#
# find_engine_address sets engine_address, and engine_network when the
# containers must join a network of the check's own, and prints how it found
# the address. When nothing works it returns 1 and leaves in
# engine_address_tried one line per attempt, with what each gave.
#
#   MICROBLOG_BRIDGE_WAIT_SECONDS  how long to wait for the bridge (30)
#   MICROBLOG_SAM_NETWORK_SUBNETS  the /24s to try for the check's own network
#
# Needs python3 (JSON, and an interface's address without iproute2).

engine_network_name=microblog-sam-check

# The inspect the check always used, a space between gateways: with IPv6
# on, the bridge has two.
_engine_template='{{range .IPAM.Config}}{{.Gateway}} {{end}}'

_engine_py='
import json, socket, sys
mode, arg = sys.argv[1], (sys.argv[2:] or [""])[0]
if mode == "inspect":
    try:
        networks = json.load(sys.stdin)
    except ValueError as e:
        sys.exit("not JSON: %s" % e)
    for network in networks if isinstance(networks, list) else [networks]:
        for config in (network.get("IPAM") or {}).get("Config") or []:
            print("gateway", config.get("Gateway") or "-")
            print("subnet", config.get("Subnet") or "-")
        print("interface", (network.get("Options") or {}).get("com.docker.network.bridge.name") or "-")
elif mode == "ifaddr":
    import fcntl, struct
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:  # SIOCGIFADDR
            reply = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", arg.encode()[:15]))
        except OSError as e:
            sys.exit(e.strerror)
    print(socket.inet_ntoa(reply[20:24]))
elif mode == "bindable":
    with socket.socket() as s:
        try:
            s.bind((arg, 0))
        except OSError as e:
            sys.exit(e.strerror)
'

# Records what one attempt ($1) printed ($2) and its errors (the file
# $_engine_err); succeeds, setting engine_address, on an IPv4 address this
# host can listen on. A daemon in another network namespace (rootless) or on
# another machine reports addresses that are not this host's.
_engine_try() {
  local word why error words
  read -r -d "" -a words <<<"$2" || true
  error=$(<"$_engine_err")
  error=${error%%$'\n'*}
  for word in "${words[@]}"; do
    [[ $word =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || continue
    if why=$(python3 -c "$_engine_py" bindable "$word" 2>&1); then
      engine_address=$word
      return 0
    fi
    _engine_tried+=("$1: $word, which this host cannot listen on (${why##*$'\n'}: a rootless or remote daemon?)")
    return 1
  done
  why=${words[*]}
  _engine_tried+=("$1: gave ${why:-nothing}${error:+ ($error)}")
  return 1
}

# One try of every way to read the default bridge, each client in turn.
_engine_from_bridge() {
  local docker out parsed key value gateways subnets iface=
  _engine_tried=()
  ((${#_engine_dockers[@]})) || _engine_tried+=("docker network inspect: no docker command on PATH")
  for docker in "${_engine_dockers[@]}"; do
    out=$(timeout 10 "$docker" network inspect bridge -f "$_engine_template" 2>"$_engine_err") || true
    if _engine_try "$docker network inspect bridge -f '$_engine_template'" "$out"; then
      _engine_how="the bridge network's gateway, from $docker network inspect -f"
      return 0
    fi
    # Without a template: a newer client beside an older daemon (Docker
    # 28's client, Debian's 20.10 daemon) need not render one alike, and
    # the JSON also names the bridge's interface.
    gateways='' subnets=''
    if out=$(timeout 10 "$docker" network inspect bridge 2>"$_engine_err") &&
      parsed=$(python3 -c "$_engine_py" inspect <<<"$out" 2>"$_engine_err"); then
      while read -r key value; do
        case $key in
          gateway) [[ $value == - ]] || gateways+=" $value" ;;
          subnet) subnets+=" $value" ;;
          interface) [[ $value == - || -n $iface ]] || iface=$value ;;
        esac
      done <<<"$parsed"
    fi
    if _engine_try "$docker network inspect bridge, its JSON (IPAM.Config gateway${gateways:- none}, subnet${subnets:- none})" "$gateways"; then
      _engine_how="the bridge network's gateway, from $docker network inspect's JSON"
      return 0
    fi
  done
  # A daemon's first start records the default bridge without its gateway
  # (moby/moby#26799), yet its interface has the address and host-gateway
  # resolves to it.
  iface=${iface:-docker0}
  if command -v ip >/dev/null; then
    out=$(ip -4 -o addr show dev "$iface" 2>"$_engine_err") || true
    if [[ $out =~ inet\ ([0-9.]+)/ ]]; then out=${BASH_REMATCH[1]}; else out=; fi
    _engine_try "ip -4 -o addr show dev $iface" "$out" || return 1
  else
    out=$(python3 -c "$_engine_py" ifaddr "$iface" 2>"$_engine_err") || true
    _engine_try "$iface's address by ioctl (no ip command: iproute2 is missing)" "$out" || return 1
  fi
  _engine_how="the address of $iface, the bridge network's interface"
}

# A bridge network of the check's own, on the first of the subnets that
# overlaps none of this host's, when the default bridge has no address here.
# Its gateway is the one given: no inspect needs to read it back.
_engine_own_network() {
  local docker subnet gateway
  for docker in "${_engine_dockers[@]}"; do
    timeout 10 "$docker" network rm "$engine_network_name" >/dev/null 2>&1 || true
    for subnet in ${MICROBLOG_SAM_NETWORK_SUBNETS:-172.31.254.0/24 10.254.254.0/24 192.168.254.0/24}; do
      gateway=${subnet%/*}
      gateway=${gateway%.*}.1
      timeout 10 "$docker" network create --driver bridge --subnet "$subnet" --gateway "$gateway" \
        "$engine_network_name" >/dev/null 2>"$_engine_err" || gateway=
      if _engine_try "$docker network create --subnet $subnet $engine_network_name" "$gateway"; then
        engine_network=$engine_network_name
        _engine_how="the gateway of $engine_network_name, a network this check created: the default bridge gave no address"
        return 0
      fi
      [[ -z $gateway ]] || timeout 10 "$docker" network rm "$engine_network_name" >/dev/null 2>&1 || true
    done
  done
  return 1
}

find_engine_address() {
  local wait=${MICROBLOG_BRIDGE_WAIT_SECONDS:-30} started=$SECONDS waited='' docker key version status=0
  local -A seen=()
  # shellcheck disable=SC2034 # engine_network is for the caller
  engine_address='' engine_network='' engine_address_tried=()
  _engine_how='' _engine_tried=() _engine_dockers=()
  # Every docker on PATH, first first: a client of the daemon's own version
  # may read it where another did not.
  while read -r docker; do
    [[ -n $docker ]] || continue
    key=$(readlink -f "$docker") || key=$docker
    [[ -n ${seen[$key]:-} ]] || _engine_dockers+=("$docker")
    seen[$key]=1
  done < <(type -ap docker)
  _engine_err=$(mktemp)
  # A daemon just started may not have set its bridge up yet.
  until _engine_from_bridge; do
    if ((SECONDS - started >= wait)); then
      engine_address_tried=("waited $((SECONDS - started)) s for Docker's default bridge (MICROBLOG_BRIDGE_WAIT_SECONDS=$wait); its last try:"
        "${_engine_tried[@]}")
      _engine_tried=()
      _engine_own_network || status=1
      engine_address_tried+=("${_engine_tried[@]}")
      break
    fi
    sleep 1
    waited=yes
  done
  rm -f "$_engine_err"
  if ((status)); then
    for docker in "${_engine_dockers[@]}"; do
      version=$(timeout 10 "$docker" version --format 'client {{.Client.Version}}, daemon {{.Server.Version}}' 2>&1) || true
      engine_address_tried+=("$docker version: ${version//$'\n'/; }")
    done
    return 1
  fi
  engine_address_tried=()
  [[ -z $waited ]] || _engine_how+=", after $((SECONDS - started)) s"
  printf 'engine address %s (%s)\n' "$engine_address" "$_engine_how"
}
