package yamlsafe

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// checkTokens bounds the nesting depth and the token count on the lexer's output, before the
// (recursive) parser runs; depth first, as the more useful word for a file that only nests. Depth is flow depth ("[" and "{" not yet closed) plus the block
// collections open at that point: each block sequence entry "-", explicit key "?" or mapping
// key further right than the enclosing one opens a level, and a token further left closes the
// levels it leaves. This counts what YAML nests by indentation without building a tree; it may
// count one level fewer than the tree for a sequence written at its key's column, which only
// matters against a limit far above any real file.
func checkTokens(file string, tokens token.Tokens, lim Limits) error {
	flow := 0
	var block []int // columns of the open block collections, increasing
	var prev *token.Token
	for _, tk := range tokens {
		switch tk.Type {
		case token.CommentType:
			continue
		case token.TagType:
			// goccy's decoder dereferences nil on a tag without a value ("rows: !x"), and no
			// file of ours needs a tag: refuse every one by name before the parser runs.
			return fmt.Errorf("%s:%d:%d: %w: %s; scenario and topology files take plain values, remove it", file, line(tk), col(tk), ErrTag, tk.Value)
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		case token.SequenceEntryType, token.MappingKeyType:
			if flow == 0 {
				block = openAt(block, col(tk))
			}
		case token.MappingValueType:
			if flow == 0 && prev != nil {
				block = openAt(block, col(prev))
			}
		}
		if d := flow + len(block); d > lim.MaxDepth {
			return fmt.Errorf("%s:%d:%d: %w: collections nest more than %d levels here (a scenario or topology file needs fewer than 10)", file, line(tk), col(tk), ErrTooDeep, lim.MaxDepth)
		}
		prev = tk
	}
	if len(tokens) > lim.MaxTokens {
		tk := tokens[lim.MaxTokens]
		return fmt.Errorf("%s:%d:%d: %w: the file has more than %d tokens (keys, values and punctuation); split it or drop repeated content", file, line(tk), col(tk), ErrTooManyTok, lim.MaxTokens)
	}
	return nil
}

// openAt closes the block levels right of column c and opens one at c unless one is open there.
func openAt(block []int, c int) []int {
	for len(block) > 0 && block[len(block)-1] > c {
		block = block[:len(block)-1]
	}
	if len(block) == 0 || block[len(block)-1] < c {
		block = append(block, c)
	}
	return block
}

func line(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

func col(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Column
}
