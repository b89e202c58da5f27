package yamlsafe

import (
	"strconv"

	"github.com/goccy/go-yaml/ast"
)

// Line returns the line of the value at path in the document (path elements are mapping keys,
// as strings, and sequence indices, as ints): the line of its key for a mapping entry, of the
// element for a sequence entry, or of the deepest part of the path that exists; 0 when not even
// the first element exists. Validation uses it to name the line of a value it finds wrong after
// decoding.
func (d *Doc) Line(path ...any) int {
	if d == nil {
		return 0
	}
	n := d.Body
	best := 0
	for _, p := range path {
		at, next := child(unwrap(n), p)
		if at == nil {
			break
		}
		if tk := at.GetToken(); tk != nil && tk.Position != nil {
			best = tk.Position.Line
		}
		n = next
	}
	return best
}

// unwrap looks through anchors and tags to the node they carry.
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		default:
			return n
		}
	}
}

// child finds key p (a string, in a mapping) or index p (an int, in a sequence) of n and
// returns the node whose line names it (the key, or the element) and the value under it.
func child(n ast.Node, p any) (at, value ast.Node) {
	switch n := n.(type) {
	case *ast.MappingNode:
		key, ok := p.(string)
		if !ok {
			return nil, nil
		}
		for _, kv := range n.Values {
			if kv != nil && kv.Key != nil && keyString(kv.Key) == key {
				return kv.Key, kv.Value
			}
		}
	case *ast.SequenceNode:
		i, ok := p.(int)
		if !ok || i < 0 || i >= len(n.Values) {
			return nil, nil
		}
		return n.Values[i], n.Values[i]
	}
	return nil, nil
}

func keyString(k ast.MapKeyNode) string {
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return strconv.Quote(k.String())
}
