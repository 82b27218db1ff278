package main

import (
	"fmt"
	"strings"
)

// schemaError is a fault in one schema file, located by a JSON pointer.
type schemaError struct {
	file    string // the file as the user named it, e.g. schema/commands.schema.json
	pointer string // a JSON pointer into the file, "" for the whole document
	msg     string
}

func (e *schemaError) Error() string {
	return e.file + "#" + e.pointer + ": " + e.msg
}

// errorList collects every fault found, so one run reports them all.
type errorList []error

// at records a fault at pointer in file.
func (l *errorList) at(file, pointer, format string, args ...any) {
	*l = append(*l, &schemaError{file: file, pointer: pointer, msg: fmt.Sprintf(format, args...)})
}

// add records err, filling in the file of a schemaError that lacks one.
func (l *errorList) add(file string, err error) {
	if se, ok := err.(*schemaError); ok && se.file == "" {
		se.file = file
	} else if !ok {
		err = fmt.Errorf("%s: %w", file, err)
	}
	*l = append(*l, err)
}

// err returns nil for an empty list.
func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error prints one fault a line, each prefixed with the program name.
func (l errorList) Error() string {
	var b strings.Builder
	for i, err := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("schemagen: ")
		b.WriteString(err.Error())
	}
	return b.String()
}

func (l errorList) Unwrap() []error { return l }
