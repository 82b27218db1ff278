package api

// ScanCommand exposes the fast path of ParseCommand to the tests.
var ScanCommand = scanCommand

// ParseCommandSlow exposes ParseCommand without its fast path to the tests.
var ParseCommandSlow = parseCommandSlow

// ScanMessage exposes the fast path of DecodeMessage to the tests.
var ScanMessage = scanMessage
