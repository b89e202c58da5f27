package firewall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// LoadNftables loads an nftables rule set written by the nftables format into the network
// namespace netns (ip netns exec NETNS nft -f PATH), then reads the table back from the kernel and
// returns the comments of its accept rules: the row IDs the namespace now enforces, in order. It
// never touches the caller's own namespace: netns is required.
func LoadNftables(ctx context.Context, netns, path string) ([]string, error) {
	if netns == "" {
		return nil, errors.New("load nftables: a network namespace is required (the rules would replace this host's forward policy)")
	}
	if out, err := exec.CommandContext(ctx, "ip", "netns", "exec", netns, "nft", "-f", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("load nftables %s into netns %s: %w: %s", path, netns, err, strings.TrimSpace(string(out)))
	}
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", netns, "nft", "-j", "list", "table", "inet", NftTable).Output()
	if err != nil {
		return nil, fmt.Errorf("read back table inet %s in netns %s: %w", NftTable, netns, err)
	}
	return acceptComments(out)
}

// acceptComments returns the comments of the accept rules of nft -j output.
func acceptComments(data []byte) ([]string, error) {
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Comment string            `json:"comment"`
				Expr    []json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("nft -j output: %w", err)
	}
	var ids []string
	for _, item := range doc.Nftables {
		if item.Rule == nil || len(item.Rule.Expr) == 0 {
			continue
		}
		var verdict map[string]json.RawMessage
		if json.Unmarshal(item.Rule.Expr[len(item.Rule.Expr)-1], &verdict) != nil {
			continue
		}
		if _, ok := verdict["accept"]; ok && item.Rule.Comment != "" {
			ids = append(ids, item.Rule.Comment)
		}
	}
	return ids, nil
}
