// Command go-facts prints, as JSON, the facts the Rust tests check the crate against that only
// Go itself can state: where client_golang's pickSchema (math.Floor(math.Log2(math.Log2(f))),
// prometheus/client_golang prometheus/histogram.go) switches schema, and how Antrea's parser
// of cluster CIDRs (k8s.io/utils/net.ParseCIDRSloppy) and Go's IPNet.String() read and write
// CIDRs. Its output is tests/data/go-facts.json:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/data/go-facts/main.go > tests/data/go-facts.json
//
// (Debian packages golang-go and golang-k8s-utils-dev; amd64, where math.Log is archLog.)
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"

	netutils "k8s.io/utils/net"
)

func pickSchema(f float64) int {
	floor := math.Floor(math.Log2(math.Log2(f)))
	switch {
	case floor <= -8:
		return 8
	case floor >= 4:
		return -4
	default:
		return -int(floor)
	}
}

type switchPoint struct {
	Schema int    `json:"schema"`
	Bits   string `json:"smallest_factor_bits"`
	Factor string `json:"smallest_factor"`
}

type cidrCase struct {
	Input string `json:"input"`
	Label string `json:"label,omitempty"`
	Error bool   `json:"error,omitempty"`
}

func main() {
	var points []switchPoint
	for s := 7; s >= -4; s-- {
		own := math.Pow(2, math.Pow(2, float64(-s)))
		bits := math.Float64bits(own)
		// The first double, scanning up from 2000 ulp below, that pickSchema maps to s.
		for b := bits - 2000; b <= bits+2000; b++ {
			if pickSchema(math.Float64frombits(b)) == s {
				if pickSchema(math.Float64frombits(b-1)) != s+1 {
					panic(fmt.Sprintf("schema %d: no clean switch", s))
				}
				points = append(points, switchPoint{s, fmt.Sprintf("%#016x", b), fmt.Sprint(math.Float64frombits(b))})
				break
			}
		}
	}
	inputs := []string{
		"10.244.0.0/16", "10.244.7.1/16", "010.244.0.0/16", "10.244.7.1/016",
		"0000000010.1.2.3/8", "10.0.0.0/00000000000000000000008", "0.0.0.0/0",
		"::ffff:10.0.0.0/104", "::ffff:10.1.2.3/120", "::ffff:10.1.2.3/128", "::ffff:0:0/96",
		"::ffff:10.0.0.0/64", "::ffff:10.0.0.0/95", "::ffff:010.0.0.0/104", "0:0:0:0:0:ffff:a00:0/104",
		"::1.2.3.4/128", "fd00:10:244::1/64", "FD00:0:0::/48", "fd00:0010:0244::/48",
		"fd00:00010::/32", "::/0", "1:2:3:4:5:6:7:8/128", "2001:db8:0:0:1::/128", "2001:db8::1:0:0:1/128",
		"10.0.0.0", "10.0.0/8", "10.0.0.0/33", "::/129", "10.0.0.0/+8", "10.0.0.0/", "256.0.0.0/8",
		"10.0.0.0/8/8", "1:2:3:4:5:6:7:8::/64", "1:2:3:4:5:6::1.2.3.4/64", " 10.0.0.0/8",
		"10.0.0.0/ 8", "fe80::1%eth0/64", "10.0.0.0/99999999", "0x10.0.0.0/8", "fd00:10000::/32",
		"1:2:3:4:5:6:1.2.3.4/128", "::1.2.3.4.5/128", "1::2::3/64", ":1::/64", "1::/64", "10.1.1.1.1/8", "",
	}
	var cidrs []cidrCase
	for _, in := range inputs {
		_, n, err := netutils.ParseCIDRSloppy(in)
		if err != nil {
			cidrs = append(cidrs, cidrCase{Input: in, Error: true})
		} else {
			cidrs = append(cidrs, cidrCase{Input: in, Label: n.String()})
		}
	}
	out := map[string]any{
		"source": "tests/data/go-facts/main.go run with " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH +
			" and k8s.io/utils (Debian golang-k8s-utils-dev 0.0~git20221128.99ec85e; its ParseCIDRSloppy is the same pre-Go-1.17 parser as the k8s.io/utils v0.0.0-20260210185600-b8788abfbbc2 that Antrea v2.7.0's go.mod names)",
		"schema_switch_points": points,
		"cluster_cidrs":        cidrs,
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
