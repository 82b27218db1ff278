package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (oasdiff and
// its OpenAPI loader included).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
