package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// report reads an Autobahn|Testsuite index.json and fails unless every case
// of sections 1 to 10 of every agent ended OK, NON-STRICT or INFORMATIONAL.
// Sections 12 and 13 (permessage-deflate, not negotiated) are skipped.
func report(args []string, w io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: wsecho report INDEX.JSON")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var index map[string]map[string]struct {
		Behavior      string `json:"behavior"`
		BehaviorClose string `json:"behaviorClose"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if len(index) == 0 {
		return fmt.Errorf("%s: no agent", args[0])
	}
	var failed []string
	for agent, cases := range index {
		counts := map[string]int{}
		for id, c := range cases {
			if section(id) > 10 {
				continue
			}
			counts[c.Behavior]++
			switch c.Behavior {
			case "OK", "NON-STRICT", "INFORMATIONAL":
			default:
				failed = append(failed, fmt.Sprintf("%s %s: %s (close: %s)", agent, id, c.Behavior, c.BehaviorClose))
			}
		}
		fmt.Fprintf(w, "%s: sections 1-10:", agent)
		for _, k := range sortedKeys(counts) {
			fmt.Fprintf(w, " %s %d", k, counts[k])
		}
		fmt.Fprintln(w)
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return fmt.Errorf("%d cases failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return nil
}

func section(id string) int {
	n, _ := strconv.Atoi(strings.SplitN(id, ".", 2)[0])
	return n
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
