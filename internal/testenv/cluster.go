package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// clusterReady bounds how long a cluster may take to elect its JetStream
// meta leader.
const clusterReady = 30 * time.Second

// NodeConfig is the nats-server configuration file of each cluster node,
// as a fmt template: the node's name, client port, JetStream directory,
// cluster port, the address it advertises to the others, and its routes.
// It is the configuration of a production node as well, with the peers'
// route addresses in place of the test's links.
const NodeConfig = `server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
}
cluster {
  name: liveorders
  listen: 127.0.0.1:%d
  advertise: %q
  routes: [
%s  ]
}
`

// Cluster is a JetStream cluster of real nats-servers on loopback. Every
// route between two nodes passes through a Link (Toxiproxy) the test can
// cut, black-hole, slow down or throttle: Kill stops a node the way a crash
// does, without a word to its peers, and Partition cuts a node off as a
// network that drops its packets.
type Cluster struct {
	// URL lists every node's client URL, comma-separated, as an instance
	// started with -nats-url is given them.
	URL string
	// Nodes are the servers, named n1, n2, ….
	Nodes []*NATSServer

	t     testing.TB
	links map[[2]int]*Link // (from, to) → the link from's routes dial
}

// NATSCluster starts n nats-servers with JetStream, each configured by a
// NodeConfig file, routed to each other on 127.0.0.1, and waits until
// they have elected a JetStream meta leader. They are shut down when the
// test ends.
func NATSCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	// The ports are free when chosen, not when bound: another process
	// may take one meanwhile, and the cluster then starts on others.
	var err error
	for range clusterTries {
		var c *Cluster
		if c, err = startCluster(t, n); err == nil {
			c.WaitReady()
			return c
		}
	}
	t.Fatalf("testenv: %v", err)
	return nil
}

// clusterTries bounds the attempts of NATSCluster.
const clusterTries = 3

// startCluster starts the nodes of a cluster on new ports; on an error it
// leaves nothing running.
func startCluster(t testing.TB, n int) (*Cluster, error) {
	t.Helper()
	c := &Cluster{t: t, links: make(map[[2]int]*Link)}
	// One call, so that no two of the ports are the same.
	ports := freePorts(t, 2*n+1)
	clientPorts, routePorts := ports[:n], ports[n:2*n]
	dead := ports[2*n] // advertised: nodes only meet through the links
	for i := range n {
		for j := range n {
			if i != j {
				l, err := newLink(fmt.Sprintf("127.0.0.1:%d", routePorts[j]))
				if err != nil {
					for _, l := range c.links {
						l.close()
					}
					return nil, err
				}
				l.t = t
				c.links[[2]int{i, j}] = l
			}
		}
	}
	dir := t.TempDir()
	var urls []string
	for i := range n {
		var routes strings.Builder
		for j := range n {
			if i != j {
				fmt.Fprintf(&routes, "    nats-route://%s\n", c.links[[2]int{i, j}].Addr)
			}
		}
		name := fmt.Sprintf("n%d", i+1)
		conf := fmt.Sprintf(NodeConfig, name, clientPorts[i], filepath.Join(dir, name), routePorts[i],
			fmt.Sprintf("127.0.0.1:%d", dead), routes.String())
		file := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(file)
		if err != nil {
			t.Fatalf("testenv: %s: %v", file, err)
		}
		opts.NoLog, opts.NoSigs = true, true
		// Clients reach the nodes only by the URLs they are given, not by
		// the ones the cluster would advertise to them: a client that is
		// given links (ClientLinks) stays behind them.
		opts.Cluster.NoAdvertise = true
		node := &NATSServer{t: t, Name: name, opts: *opts, URL: fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i])}
		c.Nodes = append(c.Nodes, node)
		urls = append(urls, node.URL)
	}
	c.URL = strings.Join(urls, ",")
	stop := func() {
		for _, node := range c.Nodes {
			node.Stop()
		}
		for _, l := range c.links {
			l.close()
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, node := range c.Nodes {
		wg.Go(func() { errs[i] = node.start() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		stop()
		return nil, err
	}
	// Every node stops before the links close, so that none sees its
	// peers go before it stops.
	t.Cleanup(stop)
	return c, nil
}

// start is Start for a node started beside others: it returns a failure
// and leaves srv nil instead of stopping the test from this goroutine.
func (n *NATSServer) start() error {
	opts := n.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		return fmt.Errorf("nats-server %s: %w", n.Name, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(natsReady) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("nats-server %s did not start within %v (port %d, cluster port %d)", n.Name, natsReady, n.opts.Port, n.opts.Cluster.Port)
	}
	n.srv = srv
	return nil
}

// WaitReady waits until every running node knows the JetStream meta
// leader and is current with it.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(clusterReady)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		leader, current := false, true
		for _, node := range c.Nodes {
			if node.srv == nil {
				continue
			}
			leader = leader || node.srv.JetStreamIsLeader()
			current = current && node.srv.JetStreamIsCurrent()
		}
		if leader && current {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("testenv: the cluster elected no JetStream leader within %v", clusterReady)
		}
		<-tick.C
	}
}

// Node returns the node named name.
func (c *Cluster) Node(name string) *NATSServer {
	c.t.Helper()
	for _, node := range c.Nodes {
		if node.Name == name {
			return node
		}
	}
	c.t.Fatalf("testenv: no node %q", name)
	return nil
}

// Kill stops node as a crash would: its routes are cut first, so that it
// cannot hand its leaderships over, then it shuts down. Start brings it
// back with its storage.
func (c *Cluster) Kill(node *NATSServer) {
	c.t.Helper()
	i := c.index(node)
	for k, l := range c.links {
		if k[0] == i || k[1] == i {
			l.Cut(true)
		}
	}
	node.Stop()
}

// Start starts node again after Kill or Stop, and reconnects its routes.
func (c *Cluster) Start(node *NATSServer) {
	c.t.Helper()
	i := c.index(node)
	node.Start()
	for k, l := range c.links {
		if k[0] == i || k[1] == i {
			l.Cut(false)
		}
	}
}

func (c *Cluster) index(node *NATSServer) int {
	for i, n := range c.Nodes {
		if n == node {
			return i
		}
	}
	c.t.Fatalf("testenv: %s is not a node of the cluster", node.Name)
	return -1
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// Partition cuts node off from its peers as a network that drops its
// packets does: every route link to or from it becomes a black hole, its
// connections stay open and deliver nothing. Heal undoes it.
func (c *Cluster) Partition(node *NATSServer) {
	c.t.Helper()
	i := c.index(node)
	for k, l := range c.links {
		if k[0] == i || k[1] == i {
			l.BlackHole(true)
		}
	}
}

// Heal removes every fault of every route link.
func (c *Cluster) Heal() {
	for _, l := range c.links {
		l.Heal()
	}
}

// Routes returns the route links, each way between every two nodes.
func (c *Cluster) Routes() []*Link {
	var ls []*Link
	for _, l := range c.links {
		ls = append(ls, l)
	}
	return ls
}

// StreamLeader returns the node leading stream (of the global account),
// nil when none of the running nodes does.
func (c *Cluster) StreamLeader(stream string) *NATSServer {
	for _, node := range c.Nodes {
		if node.srv != nil && node.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return node
		}
	}
	return nil
}

// ClientLinks starts a Link to each node's client port and returns them
// with the comma-separated URL an instance dials to reach the cluster only
// through them, so that the test can cut the instance from NATS while its
// own sockets stay up.
func (c *Cluster) ClientLinks(t testing.TB) (url string, links []*Link) {
	t.Helper()
	var urls []string
	for _, node := range c.Nodes {
		l := NewLink(t, strings.TrimPrefix(node.URL, "nats://"))
		links = append(links, l)
		urls = append(urls, "nats://"+l.Addr)
	}
	return strings.Join(urls, ","), links
}
