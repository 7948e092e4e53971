package scripts

// seedSensorYAML is the example of the net.packet documentation (seed 000)
// verbatim.
const seedSensorYAML = `google:
    profile: [default]
    listener: net.packet
    opts:
        - opened
        - closed
    args:
        patterns:
            - "*.au-net.ne.jp"
            - "*.comcast.net"
            - "*.nt-isp.net"
        ignore:
            - "udp * *"
        dns-ttl: 60s
        sni-interface: eth0
    tag: internet-watch
`
