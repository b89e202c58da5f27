package listeners

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
)

// AffinityCookie is the cookie of Lync's web services cookie affinity: a hardware load balancer
// that keeps cookie persistence keys on it. Lync sets it on every response to a request that
// arrived without it; it is not HttpOnly and has no expiry (a session cookie).
const AffinityCookie = "MS-WSMAN"

// affinityValues caches each member's Set-Cookie line (the value is a hash of the member name).
var affinityValues sync.Map // member -> []string{"MS-WSMAN=...; Path=/"}

// AffinityValue is the MS-WSMAN value member sets: opaque, as Lync's is, and the same for every
// answer of the member, so an HLB that learns it from a response can send it back there.
func AffinityValue(member string) string {
	sum := sha256.Sum256([]byte("mockdirector " + AffinityCookie + " " + member))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// setAffinityCookie sets MS-WSMAN on an answer to a request that carries none.
func setAffinityCookie(hd http.Header, r *http.Request, member string) {
	if _, err := r.Cookie(AffinityCookie); err == nil {
		return
	}
	v, ok := affinityValues.Load(member)
	if !ok {
		v, _ = affinityValues.LoadOrStore(member, []string{AffinityCookie + "=" + AffinityValue(member) + "; Path=/"})
	}
	hd["Set-Cookie"] = v.([]string)
}
