// go-pusher pushes a fixed set of metrics to a Pushgateway-compatible server with the real,
// unchanged client_golang push package (Debian's golang-github-prometheus-client-golang-dev,
// v1.14.0), so the interop tests can check that Abacus accepts exactly what that client sends.
//
//	go-pusher -url http://127.0.0.1:PORT -op push|add|delete -job JOB
//	          [-grouping name=value ...] [-format text|protobuf] [-gzip]
//
// Exit status: 0 on success, 1 when the push/add/delete fails (error on stderr), 2 on bad usage.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
)

type groupingFlag [][2]string

func (g *groupingFlag) String() string { return fmt.Sprint(*g) }

func (g *groupingFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	*g = append(*g, [2]string{name, value})
	return nil
}

func usageError(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-pusher: "+format+"\n", args...)
	os.Exit(2)
}

// registry builds the fixed metrics; every value is a constant so the output is deterministic.
func registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(fixedCollectors()...)
	return reg
}

// fixedCollectors are the fixed metrics, with their values set.
func fixedCollectors() []prometheus.Collector {

	records := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "go_pusher_records_total",
		Help: "Records processed by the go-pusher job.",
	}, []string{"kind"})
	records.WithLabelValues("a").Add(3)
	records.WithLabelValues("b").Add(5)

	lastSuccess := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "go_pusher_last_success_seconds",
		Help: "Last time the go-pusher job succeeded, in Unix seconds.",
	})
	lastSuccess.Set(1700000000)

	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "go_pusher_duration_seconds",
		Help:    "Duration of the go-pusher job.",
		Buckets: []float64{0.1, 1, 10},
	})
	for _, v := range []float64{0.05, 0.5, 2, 20} {
		duration.Observe(v)
	}

	latency := prometheus.NewSummary(prometheus.SummaryOpts{
		Name:       "go_pusher_latency_seconds",
		Help:       "Latency of the go-pusher job.",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01},
	})
	for _, v := range []float64{0.1, 0.2, 0.3, 0.4, 0.5} {
		latency.Observe(v)
	}

	return []prometheus.Collector{records, lastSuccess, duration, latency}
}

func main() {
	var grouping groupingFlag
	url := flag.String("url", "", "gateway base URL, e.g. http://127.0.0.1:9091 (required)")
	op := flag.String("op", "push", "push (PUT), add (POST) or delete (DELETE)")
	job := flag.String("job", "", "job name (required)")
	format := flag.String("format", "protobuf", "text or protobuf (the client's default: delimited protobuf)")
	gzip := flag.Bool("gzip", false, "gzip the body (refused: client_golang v1.14.0's push package cannot)")
	defaultRegistry := flag.Bool("default-registry", false,
		"push prometheus.DefaultGatherer (the Go and process collectors) with the fixed metrics registered in it")
	flag.Var(&grouping, "grouping", "grouping label name=value (repeatable)")
	basicAuth := flag.String("basic-auth", "", "user:password sent with every request (Pusher.BasicAuth)")
	flag.Parse()

	if flag.NArg() > 0 {
		usageError("unexpected arguments: %v", flag.Args())
	}
	if *url == "" || *job == "" {
		usageError("-url and -job are required")
	}
	if *gzip {
		usageError("-gzip: the packaged client_golang (v1.14.0) push package has no gzip support")
	}

	var gatherer prometheus.Gatherer = registry()
	if *defaultRegistry {
		// What a Go job gets from push.New(url, job).Gatherer(prometheus.DefaultGatherer): the
		// Go collector's go_* families (gauge go_memstats_alloc_bytes beside counter
		// go_memstats_alloc_bytes_total) and the process collector's process_*.
		prometheus.DefaultRegisterer.MustRegister(fixedCollectors()...)
		gatherer = prometheus.DefaultGatherer
	}
	pusher := push.New(*url, *job).Gatherer(gatherer)
	for _, g := range grouping {
		pusher = pusher.Grouping(g[0], g[1])
	}
	if *basicAuth != "" {
		user, password, found := strings.Cut(*basicAuth, ":")
		if !found {
			usageError("-basic-auth must be user:password")
		}
		pusher = pusher.BasicAuth(user, password)
	}
	switch *format {
	case "text":
		pusher = pusher.Format(expfmt.FmtText)
	case "protobuf":
		// Leave the client's default, expfmt.FmtProtoDelim.
	default:
		usageError("-format must be text or protobuf, got %q", *format)
	}

	var err error
	switch *op {
	case "push":
		err = pusher.Push()
	case "add":
		err = pusher.Add()
	case "delete":
		err = pusher.Delete()
	default:
		usageError("-op must be push, add or delete, got %q", *op)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-pusher: %s: %v\n", *op, err)
		os.Exit(1)
	}
}
