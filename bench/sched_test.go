package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
	"testing"
)

func TestSchedFull(t *testing.T) {
	if os.Getenv("SCHED_FULL") == "" {
		t.Skip()
	}
	var o SchedOptions
	if v := os.Getenv("RC"); v != "" {
		o.Endpoint.RequestCost, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("RA"); v != "" {
		o.Endpoint.BusyRetryAfter, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("SLOTS"); v != "" {
		fmt.Sscan(v, &o.Endpoint.Slots)
	}
	if v := os.Getenv("PT"); v != "" {
		o.Endpoint.PerToken, _ = time.ParseDuration(v)
	}
	res, err := Sched(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	os.WriteFile(os.Getenv("OUT"), b, 0o644)
	t.Logf("util %.3f fair %.3f prio %.3f goodput %.2f secs %.1f | base util %.3f slow %.2f/%.2f req %d wall %.1f/%.1f", res.Utilization, res.JainFairness, res.PriorityWaitRatio, res.GoodputVsUnscheduled, res.Seconds,
		res.Baseline.Utilization, res.Scheduled.Endpoint.MeanSlowdown, res.Baseline.Endpoint.MeanSlowdown, res.Baseline.Requests, res.Scheduled.WallSeconds, res.Baseline.WallSeconds)
}

func TestClientCost(t *testing.T) {
	if os.Getenv("SCHED_FULL") == "" {
		t.Skip()
	}
	srv := newSimServer(SimEndpoint{Slots: 1000, BaseLatency: time.Microsecond, PerToken: time.Nanosecond}.withDefaults())
	defer srv.Close()
	gen, closeConns, _ := newGenerator(srv.URL(), 100)
	defer closeConns()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if _, err := gen(context.Background(), simRequest(simStep{900, 100})); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%v per request", time.Since(start)/4000)
}
