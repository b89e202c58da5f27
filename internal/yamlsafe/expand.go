package yamlsafe

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// expansion counts, bottom-up in document order, how many values each node stands for when
// every alias is replaced by its anchor's value, the way goccy's decoder (and any consumer)
// sees it. Each anchor is counted once and each alias adds its anchor's count, so the cost is
// linear in the tree even when the expansion is exponential ("billion laughs").
type expansion struct {
	file    string
	max     int
	anchors map[string]int
}

func checkExpansion(file string, f *ast.File, lim Limits) error {
	e := &expansion{file: file, max: lim.MaxValues, anchors: map[string]int{}}
	for _, d := range f.Docs {
		if d == nil {
			continue
		}
		if _, err := e.count(d.Body); err != nil {
			return err
		}
	}
	return nil
}

func (e *expansion) count(n ast.Node) (int, error) {
	if n == nil {
		return 0, nil
	}
	total := 1
	add := func(c ast.Node) error {
		k, err := e.count(c)
		total = min(total+k, e.max+1) // saturate: exponential sizes must not overflow
		return err
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, kv := range n.Values {
			if err := add(kv); err != nil {
				return 0, err
			}
		}
	case *ast.MappingValueNode:
		total = 0
		if err := add(n.Key); err != nil {
			return 0, err
		}
		if err := add(n.Value); err != nil {
			return 0, err
		}
	case *ast.SequenceNode:
		for _, v := range n.Values {
			if err := add(v); err != nil {
				return 0, err
			}
		}
	case *ast.MappingKeyNode:
		total = 0
		if err := add(n.Value); err != nil {
			return 0, err
		}
	case *ast.TagNode:
		total = 0
		if err := add(n.Value); err != nil {
			return 0, err
		}
	case *ast.AnchorNode:
		total = 0
		if err := add(n.Value); err != nil {
			return 0, err
		}
		if n.Name != nil {
			e.anchors[n.Name.GetToken().Value] = total
		}
	case *ast.AliasNode:
		if n.Value != nil && n.Value.GetToken() != nil {
			if k, ok := e.anchors[n.Value.GetToken().Value]; ok {
				total = k
			}
		}
	}
	if total > e.max {
		tk := n.GetToken()
		return 0, fmt.Errorf("%s:%d:%d: %w: the document stands for more than %d values once its aliases (*name) are expanded; use fewer or smaller anchors", e.file, line(tk), col(tk), ErrTooManyValue, e.max)
	}
	return total, nil
}
