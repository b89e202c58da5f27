package firewall

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// SheetColumns are the columns of the change-request sheet (csv and xlsx), one line per rule.
var SheetColumns = []string{
	"rule", "row_id", "source_role", "source_name", "source_address", "destination_role", "destination_name",
	"destination_address", "protocol", "port", "service", "direction", "action", "justification", "origin",
}

// sheetRows returns the sheet's lines without the heading, in SheetColumns order. Addresses are
// one per line inside the cell, the way firewall teams paste them.
func sheetRows(rs *RuleSet) [][]string {
	var out [][]string
	for _, r := range rs.Rules {
		out = append(out, []string{
			strconv.Itoa(r.N), r.RowID, r.Source.Role, r.Source.Name, addrList(r.Source.Addrs, "\n"), r.Dest.Role, r.Dest.Name,
			addrList(r.Dest.Addrs, "\n"), r.Proto(), strconv.Itoa(r.Port), r.Service,
			"inbound to " + r.Dest.Role, "allow", r.Justification, r.Origin,
		})
	}
	return out
}

// csvSheet writes the change-request sheet as CSV (RFC 4180), one line per allow row.
type csvSheet struct{}

func (csvSheet) Describe() string {
	return "change-request sheet, CSV: one line per allow row, row ID and justification"
}

func (csvSheet) Binary() bool { return false }

func (csvSheet) Write(w io.Writer, rs *RuleSet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SheetColumns); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	if err := cw.WriteAll(sheetRows(rs)); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}
