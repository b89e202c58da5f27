package firewall_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/mockdirector/mockdirector/internal/firewall"
)

var _ = Describe("the change-request sheet", func() {
	col := func(name string) int {
		for i, c := range firewall.SheetColumns {
			if c == name {
				return i
			}
		}
		Fail("no column " + name)
		return -1
	}

	for _, s := range sites {
		It("as csv for "+s.path+" has one line per allow row, with its row ID, addresses and justification", func() {
			recs, err := csv.NewReader(strings.NewReader(export("csv", build(s.path)))).ReadAll()
			Expect(err).NotTo(HaveOccurred())
			Expect(recs[0]).To(Equal(firewall.SheetColumns))
			ids := allowIDs()
			Expect(recs[1:]).To(HaveLen(len(ids)))
			for i, rec := range recs[1:] {
				Expect(rec[col("row_id")]).To(Equal(ids[i]))
				Expect(rec[col("source_address")]).NotTo(BeEmpty())
				Expect(rec[col("destination_address")]).NotTo(BeEmpty())
				Expect(rec[col("justification")]).NotTo(BeEmpty())
				Expect(rec[col("action")]).To(Equal("allow"))
			}
		})

		It("as xlsx for "+s.path+" reads back with one line per allow row and the same cells as the csv", func() {
			rs := build(s.path)
			p := filepath.Join(GinkgoT().TempDir(), "change.xlsx")
			f, err := firewall.Lookup("xlsx")
			Expect(err).NotTo(HaveOccurred())
			Expect(f.Binary()).To(BeTrue())
			Expect(firewall.WriteFile(p, f, rs, false)).To(Succeed())

			x, err := excelize.OpenFile(p)
			Expect(err).NotTo(HaveOccurred())
			defer x.Close()
			Expect(x.GetSheetList()).To(Equal([]string{firewall.XLSXSheet, firewall.XLSXAbout}))
			rows, err := x.GetRows(firewall.XLSXSheet)
			Expect(err).NotTo(HaveOccurred())
			want, err := csv.NewReader(strings.NewReader(export("csv", rs))).ReadAll()
			Expect(err).NotTo(HaveOccurred())
			Expect(rows).To(Equal(want))
			Expect(rows[1:]).To(HaveLen(len(allowIDs())))
			about, err := x.GetRows(firewall.XLSXAbout)
			Expect(err).NotTo(HaveOccurred())
			Expect(about).To(ContainElement([]string{"default", "deny: everything not on the rules sheet is denied"}))
		})
	}

	It("is written whole, and never over an existing file without force", func() {
		rs := build("../../topology/lab.yaml")
		f, _ := firewall.Lookup("csv")
		p := filepath.Join(GinkgoT().TempDir(), "change.csv")
		Expect(firewall.WriteFile(p, f, rs, false)).To(Succeed())
		err := firewall.WriteFile(p, f, rs, false)
		Expect(err).To(MatchError("refusing to overwrite " + p + ": pass --force"))
		Expect(firewall.WriteFile(p, f, rs, true)).To(Succeed())
		var b bytes.Buffer
		Expect(f.Write(&b, rs)).To(Succeed())
		Expect(p).To(BeARegularFile())
		entries, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*"))
		Expect(entries).To(BeEmpty(), "temporary files left behind")
	})
})
