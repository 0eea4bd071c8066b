/**
 * HumanEval-X's Go tests import `github.com/stretchr/testify/assert` and call `assert.New(t)` and
 * `Equal(expected, actual)` (1138 calls, nothing else). Samples have no network to fetch testify, so each
 * Go sample gets this stand-in module, written for the sandbox, through a `replace` in its go.mod. Equal
 * compares as testify documents: byte slices by content, anything else with reflect.DeepEqual (so 1 and
 * int64(1) differ); a failure marks the test failed and lets it go on.
 */

/** The go.mod of a sample whose program brings none. */
export const GO_MOD = `module sample

go 1.18

require github.com/stretchr/testify v1.8.4

replace github.com/stretchr/testify => ./.fsllm/testify
`;

const SHIM_GO_MOD = `module github.com/stretchr/testify

go 1.18
`;

const ASSERTIONS_GO = `// Package assert: the part of testify's assert API that HumanEval-X's tests use (fsllm-native sandbox).
package assert

import (
\t"bytes"
\t"fmt"
\t"reflect"
\t"testing"
)

// Assertions reports failures to the test it was made for.
type Assertions struct {
\tt *testing.T
}

// New returns the assertions of t.
func New(t *testing.T) *Assertions {
\treturn &Assertions{t: t}
}

// ObjectsAreEqual: byte slices by content, anything else by reflect.DeepEqual.
func ObjectsAreEqual(expected, actual interface{}) bool {
\tif expected == nil || actual == nil {
\t\treturn expected == actual
\t}
\texp, okExp := expected.([]byte)
\tact, okAct := actual.([]byte)
\tif okExp && okAct {
\t\treturn bytes.Equal(exp, act)
\t}
\treturn reflect.DeepEqual(expected, actual)
}

func message(msgAndArgs []interface{}) string {
\tif len(msgAndArgs) == 0 {
\t\treturn ""
\t}
\tif format, ok := msgAndArgs[0].(string); ok && len(msgAndArgs) > 1 {
\t\treturn ": " + fmt.Sprintf(format, msgAndArgs[1:]...)
\t}
\treturn ": " + fmt.Sprint(msgAndArgs...)
}

// Equal fails the test (and goes on) unless expected and actual are equal.
func (a *Assertions) Equal(expected, actual interface{}, msgAndArgs ...interface{}) bool {
\ta.t.Helper()
\tif ObjectsAreEqual(expected, actual) {
\t\treturn true
\t}
\ta.t.Errorf("Not equal:\\n\\texpected: %#v\\n\\tactual  : %#v%s", expected, actual, message(msgAndArgs))
\treturn false
}

// NotEqual fails the test (and goes on) if expected and actual are equal.
func (a *Assertions) NotEqual(expected, actual interface{}, msgAndArgs ...interface{}) bool {
\ta.t.Helper()
\tif !ObjectsAreEqual(expected, actual) {
\t\treturn true
\t}
\ta.t.Errorf("Should not be: %#v%s", actual, message(msgAndArgs))
\treturn false
}

// True fails the test (and goes on) unless value is true.
func (a *Assertions) True(value bool, msgAndArgs ...interface{}) bool {
\ta.t.Helper()
\tif !value {
\t\ta.t.Errorf("Should be true%s", message(msgAndArgs))
\t}
\treturn value
}

// False fails the test (and goes on) unless value is false.
func (a *Assertions) False(value bool, msgAndArgs ...interface{}) bool {
\ta.t.Helper()
\tif value {
\t\ta.t.Errorf("Should be false%s", message(msgAndArgs))
\t}
\treturn !value
}
`;

/** The stand-in module's files, relative to the sample's directory. */
export const TESTIFY_SHIM: Readonly<Record<string, string>> = Object.freeze({
  '.fsllm/testify/go.mod': SHIM_GO_MOD,
  '.fsllm/testify/assert/assertions.go': ASSERTIONS_GO,
});
