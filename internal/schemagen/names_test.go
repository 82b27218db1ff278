package main

import (
	"slices"
	"testing"
)

func TestPascal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"update-category", "UpdateCategory"},
		{"invalid_json", "InvalidJSON"},
		{"id", "ID"},
		{"heartbeatMs", "HeartbeatMs"},
		{"url", "URL"},
		{"http", "HTTP"},
		{"productId", "ProductID"},
		{"HTTPServer", "HTTPServer"},
		{"going_away", "GoingAway"},
		{"MAX_VALUE", "MaxValue"},
		{"liveorders.v1", "LiveordersV1"},
		{"rrp", "Rrp"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := pascal(tt.in); got != tt.want {
				t.Errorf("pascal(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLowerFirst(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The socket closed.", "the socket closed."},
		{"A frame.", "a frame."},
		{"WebSocket close codes.", "WebSocket close codes."},
		{"RFC 9457 document.", "RFC 9457 document."},
		{"cmd names no command.", "cmd names no command."},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := lowerFirst(tt.in); got != tt.want {
				t.Errorf("lowerFirst(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSRegExp(t *testing.T) {
	tests := []struct{ in, want string }{
		{`^[a-z]+$`, `/^[a-z]+$/`},
		{`^a/b$`, `/^a\/b$/`},
		{`^a\/b$`, `/^a\/b$/`},
		{`^[/]$`, `/^[/]$/`},
		{`^(0|[1-9])(\.[0-9])?$`, `/^(0|[1-9])(\.[0-9])?$/`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := jsRegExp(tt.in); got != tt.want {
				t.Errorf("jsRegExp(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four\n\nfive", 9)
	want := []string{"one two", "three", "four", "", "five"}
	if !slices.Equal(got, want) {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}
