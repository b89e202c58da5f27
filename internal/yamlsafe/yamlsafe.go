// Package yamlsafe reads the project's YAML inputs (scenario, topology and hold files) within
// fixed bounds, so a hostile or broken file ends in a named error instead of a crash, a hang or
// an out-of-memory kill.
//
// github.com/goccy/go-yaml, the project's YAML library, bounds none of this itself: it has no
// size limit, no alias-expansion limit (an alias decoded into a string field is re-rendered in
// full, so a 491-byte "billion laughs" exhausts memory) and no nesting limit in its scanner or
// parser (its decoder stops at a fixed 10,000 levels, long after the recursive parser has used
// gigabytes on 50,000 nested "{a:"). So yamlsafe checks in four steps, each before the next
// costs more:
//
//  1. the size of the input (Limits.MaxBytes), read through an io.LimitReader so a large or
//     endless file is never read whole;
//  2. goccy's own lexer turns the input into tokens; their number (Limits.MaxTokens) and the
//     nesting depth they open (flow brackets plus block indentation, Limits.MaxDepth) are
//     checked on the token stream before the parser sees it, and tags ("!x", "!!str") are
//     refused there (goccy's decoder panics on a tag without a value; our files need none);
//  3. goccy's parser builds the syntax tree from those tokens; the number of values the tree
//     stands for once every alias is expanded (Limits.MaxValues) is counted on the tree, with
//     each anchor counted once, before anything is decoded;
//  4. only then is the tree decoded, strictly (unknown fields and wrong types are errors), with
//     goccy's decoder.
//
// Every error names file:line:column where there is a position.
package yamlsafe

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// Limits bounds one YAML input. The zero value of a field means its Default.
type Limits struct {
	// MaxBytes is the largest input read, in bytes.
	MaxBytes int64
	// MaxTokens bounds the lexer's tokens (each costs about 250 bytes in goccy's lexer, and the
	// parser a few times that), so it bounds the memory of parsing.
	MaxTokens int
	// MaxDepth bounds the nesting of collections (flow and block).
	MaxDepth int
	// MaxValues bounds the values the document stands for once every alias is expanded.
	MaxValues int
}

// Default limits: a scenario or topology file is a few kilobytes (the seed table is 7 KB, 30
// rows, 6 levels deep), so these leave two orders of magnitude for real files while keeping the
// worst input of MaxBytes within a bounded memory (see the package's bad-input tests).
const (
	DefaultMaxBytes  = 512 << 10
	DefaultMaxTokens = 200_000
	DefaultMaxDepth  = 64
	DefaultMaxValues = 200_000
)

// Sentinel errors, wrapped by the errors Read, Parse and Decode return, so callers and tests
// can tell which bound a file crossed with errors.Is.
var (
	ErrTooLarge     = errors.New("file too large")
	ErrTooManyTok   = errors.New("too many tokens")
	ErrTooDeep      = errors.New("nesting too deep")
	ErrTooManyValue = errors.New("too many values after alias expansion")
	ErrTag          = errors.New("YAML tags are not supported")
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxValues <= 0 {
		l.MaxValues = DefaultMaxValues
	}
	return l
}

// ReadFile reads path, but never more than lim.MaxBytes+1 bytes: a larger file (or an endless
// one such as /dev/zero) is an ErrTooLarge without being read whole.
func ReadFile(path string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkSize(path, int64(len(data)), lim); err != nil {
		return nil, err
	}
	return data, nil
}

func checkSize(file string, n int64, lim Limits) error {
	if n > lim.MaxBytes {
		return fmt.Errorf("%s: %w: more than %s (the limit for one file is %s; split the file)", file, ErrTooLarge, sizeWords(n, lim.MaxBytes), sizeWords(lim.MaxBytes, lim.MaxBytes))
	}
	return nil
}

// sizeWords prints n bytes in KiB or MiB; n above the limit (read through a LimitReader) is
// printed as the limit itself, hence "more than".
func sizeWords(n, limit int64) string {
	if n > limit {
		n = limit
	}
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Doc is a parsed document: its file name and the syntax tree of its first document, for
// decoding and for finding the line of a value.
type Doc struct {
	// File names the input in messages.
	File string
	// Body is the first document's top node; nil for an empty input.
	Body ast.Node
}

// Parse checks data against lim and returns the syntax tree of its first document.
func Parse(file string, data []byte, lim Limits) (*Doc, error) {
	lim = lim.withDefaults()
	if err := checkSize(file, int64(len(data)), lim); err != nil {
		return nil, err
	}
	tokens := lexer.Tokenize(string(data))
	if err := checkTokens(file, tokens, lim); err != nil {
		return nil, err
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, Error(file, err)
	}
	doc := &Doc{File: file}
	if len(f.Docs) > 0 && f.Docs[0] != nil {
		doc.Body = f.Docs[0].Body
	}
	if err := checkExpansion(file, f, lim); err != nil {
		return nil, err
	}
	return doc, nil
}

// Decode parses data within lim and decodes its first document strictly into v (unknown
// fields and wrong types are errors naming file:line:column). It returns the document so the
// caller can name the lines of values it finds wrong.
func Decode(file string, data []byte, v any, lim Limits) (*Doc, error) {
	doc, err := Parse(file, data, lim)
	if err != nil {
		return nil, err
	}
	if doc.Body == nil {
		return doc, nil
	}
	if err := yaml.NodeToValue(doc.Body, v, yaml.Strict()); err != nil {
		return nil, Error(file, err)
	}
	return doc, nil
}

// Error turns a go-yaml error into "file:line:col: message", the form editors jump to.
func Error(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tok := ye.GetToken(); tok != nil && tok.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s", file, tok.Position.Line, tok.Position.Column, ye.GetMessage())
		}
	}
	return fmt.Errorf("%s: %w", file, err)
}
