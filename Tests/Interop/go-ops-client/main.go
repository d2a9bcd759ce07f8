// go-ops-client writes JSON-lines ops the way the original metrics-server's own Go client does:
// one Unix socket connection shared by many goroutines, each json.Marshal-ing a struct whose
// numeric and string fields have no omitempty (so zero values are sent: "help":"",
// "buckets":0, "bucket_width":0) and writing it with no separator between messages.
//
//	go-ops-client -socket PATH -n 10000
//
// It sends n `inc` messages named job_<i> (value 1), then, from one goroutine, an `obs` of 15
// and a `set` of 3 with the same zero-valued bucket fields. Exit status 0 when every write
// succeeded.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
)

// Message has the fields and JSON names of the original client's struct, zero values included.
type Message struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Op          string            `json:"op"`
	Help        string            `json:"help"`
	Buckets     int               `json:"buckets"`
	BucketWidth float64           `json:"bucket_width"`
	Value       float64           `json:"value"`
}

func main() {
	socket := flag.String("socket", "metric-server.sock", "the gateway's Unix socket")
	n := flag.Int("n", 10000, "goroutines, one inc message each")
	flag.Parse()

	conn, err := net.Dial("unix", *socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()

	var failed sync.Once
	exit := 0
	write := func(m Message) {
		data, err := json.Marshal(m)
		if err == nil {
			_, err = conn.Write(data)
		}
		if err != nil {
			failed.Do(func() {
				fmt.Fprintln(os.Stderr, "write:", err)
				exit = 1
			})
		}
	}

	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			write(Message{
				Name:   fmt.Sprintf("job_%d", i),
				Labels: map[string]string{"application": "metrics-server"},
				Op:     "inc",
				Value:  1,
			})
		}(i)
	}
	wg.Wait()
	write(Message{Name: "go_duration_ms", Labels: map[string]string{"application": "metrics-server"}, Op: "obs", Value: 15})
	write(Message{Name: "go_queue_length", Op: "set", Value: 3})
	os.Exit(exit)
}
