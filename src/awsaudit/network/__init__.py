"""The network reachability engine, a library (no CLI, no scanner, no AWS calls): which network
interfaces the internet can reach, on which protocols and ports, through which hops.

    ports.py   address sets (ipaddress), port spans, protocol numbers, the internet's ranges
    model.py   typed VPC pieces built from one region's collected ec2 data: build_region()
    reach.py   reach(): one interface, protocol, port and IP family -> the path, or the hop that blocks
"""
