package listeners

import (
	"encoding/xml"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Autodiscover media types ([MS-OCDISCWS] 2.2.1: the client names the one it wants in Accept).
const (
	autodiscoverXML  = "application/vnd.microsoft.rtc.autodiscover+xml"
	autodiscoverJSON = "application/vnd.microsoft.rtc.autodiscover+json"
)

// autodiscoverFormat is what the Root answer is written as, and the Content-Type that says so.
type autodiscoverFormat struct {
	xml         bool
	contentType string
}

var (
	adVendorXML  = autodiscoverFormat{xml: true, contentType: autodiscoverXML + "; v=1"}
	adVendorJSON = autodiscoverFormat{contentType: autodiscoverJSON + "; v=1"}
	adPlainJSON  = autodiscoverFormat{contentType: "application/json; charset=utf-8"}
	adPlainXML   = autodiscoverFormat{xml: true, contentType: "application/xml; charset=utf-8"}
)

// negotiateAutodiscover picks the format of the Accept value: the type with the highest q the
// service speaks (the first of equals), the Lync vendor JSON when Accept is empty or names
// nothing it speaks (what Lync 2013 sends a browser). The body always parses as the type its
// Content-Type names.
func negotiateAutodiscover(accept string) autodiscoverFormat {
	best, bestQ := adVendorJSON, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var f autodiscoverFormat
		switch mt {
		case autodiscoverXML:
			f = adVendorXML
		case autodiscoverJSON:
			f = adVendorJSON
		case "application/json":
			f = adPlainJSON
		case "application/xml", "text/xml":
			f = adPlainXML
		case "*/*", "application/*":
			f = adVendorJSON
		default:
			continue
		}
		if q > 0 && q > bestQ {
			best, bestQ = f, q
		}
	}
	return best
}

// adResponse is the XML Root answer ([MS-OCDISCWS] 2.2.4.4, the AutodiscoverResponse element
// with its Root and Link token/href pairs).
type adResponse struct {
	XMLName        xml.Name `xml:"AutodiscoverResponse"`
	XSI            string   `xml:"xmlns:xsi,attr"`
	XSD            string   `xml:"xmlns:xsd,attr"`
	AccessLocation string   `xml:"AccessLocation,attr"`
	Links          []adLink `xml:"Root>Link"`
}

type adLink struct {
	Token string `xml:"token,attr"`
	Href  string `xml:"href,attr"`
}

// autodiscover answers the Root resource in the format the client asked for: JSON links to the
// user and xframe resources (Lync 2013's JSON form, with the mock's identity under
// wire.WrappedKey), or the XML AutodiscoverResponse with the Domain, User, OAuth and XFrame links.
func (h *webHandler) autodiscover(w http.ResponseWriter, r *http.Request, id *wire.Identity) (int, func()) {
	base := baseURL(r) + "/Autodiscover/AutodiscoverService.svc/root"
	query := ""
	if r.URL.RawQuery != "" {
		query = "?" + r.URL.RawQuery
	}
	f := negotiateAutodiscover(strings.Join(r.Header.Values("Accept"), ","))
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Add("Vary", "Accept")
	if !f.xml {
		body := map[string]any{
			"_links": map[string]any{
				"self":   map[string]string{"href": base + query},
				"user":   map[string]string{"href": base + "/oauth/user" + query},
				"xframe": map[string]string{"href": baseURL(r) + "/Autodiscover/XFrame/XFrame.html"},
			},
			wire.WrappedKey: id,
		}
		return h.json(w, http.StatusOK, body)
	}
	access := "Internal"
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		access = "External" // published through the reverse proxy
	}
	doc := adResponse{XSI: "http://www.w3.org/2001/XMLSchema-instance", XSD: "http://www.w3.org/2001/XMLSchema",
		AccessLocation: access, Links: []adLink{
			{Token: "Domain", Href: base + "/domain" + query},
			{Token: "User", Href: base + "/user" + query},
			{Token: "Self", Href: base + query},
			{Token: "OAuth", Href: base + "/oauth/user" + query},
			{Token: "XFrame", Href: baseURL(r) + "/Autodiscover/XFrame/XFrame.html"},
		}}
	b, err := xml.Marshal(doc)
	if err != nil {
		return h.text(w, http.StatusInternalServerError, id, err.Error())
	}
	b = append([]byte(xml.Header), b...)
	return http.StatusOK, func() {
		w.WriteHeader(http.StatusOK)
		w.Write(append(b, '\n'))
	}
}
