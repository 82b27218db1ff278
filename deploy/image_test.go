package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestImageDefaults runs the liveorders image as an operator first does,
// with nothing but a published port: it serves the web client and the
// seed protocol's simulated orders, passes its own health check, runs as a
// non-root user, carries its labels, and has no shell.
func TestImageDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the images")
	}
	needEngine(t)
	buildImages(t)
	port := freePort(t)
	name := fmt.Sprintf("lotest-image-%d", port)
	out, err := exec.Command("podman", "run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:3000", port), "localhost/liveorders:latest").CombinedOutput()
	if err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("podman", "logs", name).CombinedOutput()
			t.Logf("== %s\n%s", name, tail(logs, 20))
		}
		_ = exec.Command("podman", "rm", "-f", "-v", name).Run() // -v: its /data volume too
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / on the image: %v", describe(resp, err))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The seed protocol, with the simulated orders on by default.
	frames, closeSeed, err := seedFrames(strings.Replace(base, "http", "ws", 1), "electronics")
	if err != nil {
		t.Fatalf("seed-mode socket: %v", err)
	}
	defer closeSeed()
	select {
	case ot, ok := <-frames:
		if !ok || ot.ID == "" {
			t.Fatalf("seed-mode socket: %+v, %v", ot, ok)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no simulated order reached the seed-mode socket")
	}

	if out, err := exec.Command("podman", "exec", name, "/liveorders", "healthcheck").CombinedOutput(); err != nil {
		t.Errorf("the image's health check: %v\n%s", err, out)
	}
	if err := exec.Command("podman", "exec", name, "/bin/sh", "-c", "true").Run(); err == nil {
		t.Error("the image has a shell")
	}

	out, err = exec.Command("podman", "image", "inspect", "localhost/liveorders:latest").Output()
	if err != nil {
		t.Fatal(err)
	}
	var images []struct {
		Config struct {
			User         string
			ExposedPorts map[string]any
			Volumes      map[string]any
			Labels       map[string]string
		}
		HealthCheck struct{ Test []string } `json:"Healthcheck"`
	}
	if err := json.Unmarshal(out, &images); err != nil || len(images) != 1 {
		t.Fatalf("podman image inspect: %v", err)
	}
	img := images[0]
	if img.Config.User == "" || strings.HasPrefix(img.Config.User, "0") || strings.HasPrefix(img.Config.User, "root") {
		t.Errorf("the image runs as %q, want a non-root user", img.Config.User)
	}
	if _, ok := img.Config.ExposedPorts["3000/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 3000/tcp", img.Config.ExposedPorts)
	}
	if _, ok := img.Config.Volumes["/data"]; !ok {
		t.Errorf("volumes %v, want /data", img.Config.Volumes)
	}
	for _, l := range []string{"org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.source"} {
		if img.Config.Labels[l] == "" {
			t.Errorf("label %s is missing or empty: %v", l, img.Config.Labels)
		}
	}
	if got := strings.Join(img.HealthCheck.Test, " "); got != "CMD /liveorders healthcheck" {
		t.Errorf("health check %q, want CMD /liveorders healthcheck", got)
	}
}
