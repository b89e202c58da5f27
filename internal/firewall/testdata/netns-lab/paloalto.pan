set tag mockdirector comments "mockdirector firewall export: table builtin:lync2013-single-director, topology ../../lab/topology.yaml, 17 rules, one per allow row; everything else denied (rule md-deny-all)"
set address md-src-reverse-proxy-internal-1 ip-netmask 198.51.100.10/32 tag mockdirector
set address-group md-src-reverse-proxy-internal static [ md-src-reverse-proxy-internal-1 ] tag mockdirector description "reverse-proxy-internal"
set address md-dst-director-1 ip-netmask 203.0.113.10/32 tag mockdirector
set address md-dst-director-2 ip-netmask 203.0.113.21/32 tag mockdirector
set address md-dst-director-3 ip-netmask 203.0.113.22/32 tag mockdirector
set address-group md-dst-director static [ md-dst-director-1 md-dst-director-2 md-dst-director-3 ] tag mockdirector description "director (dir-pool.contoso.local)"
set service md-tcp-8080 protocol tcp port 8080 tag mockdirector
set service md-tcp-4443 protocol tcp port 4443 tag mockdirector
set address md-src-director-1 ip-netmask 203.0.113.21/32 tag mockdirector
set address md-src-director-2 ip-netmask 203.0.113.22/32 tag mockdirector
set address-group md-src-director static [ md-src-director-1 md-src-director-2 ] tag mockdirector description "director (dir-pool.contoso.local)"
set address md-dst-frontend-1 ip-netmask 203.0.113.31/32 tag mockdirector
set address md-dst-frontend-2 ip-netmask 203.0.113.32/32 tag mockdirector
set address-group md-dst-frontend static [ md-dst-frontend-1 md-dst-frontend-2 ] tag mockdirector description "frontend (fe-pool.contoso.local)"
set service md-tcp-444 protocol tcp port 444 tag mockdirector
set address md-src-internal-clients-1 ip-netmask 192.0.2.0/28 tag mockdirector
set address-group md-src-internal-clients static [ md-src-internal-clients-1 ] tag mockdirector description "internal-clients"
set service md-tcp-80 protocol tcp port 80 tag mockdirector
set service md-tcp-443 protocol tcp port 443 tag mockdirector
set address md-src-edge-internal-1 ip-netmask 198.51.100.20/32 tag mockdirector
set address-group md-src-edge-internal static [ md-src-edge-internal-1 ] tag mockdirector description "edge-internal (edge-int.contoso.local)"
set service md-tcp-5061 protocol tcp port 5061 tag mockdirector
set address md-src-any-1 ip-netmask 192.0.2.20/32 tag mockdirector
set address-group md-src-any static [ md-src-any-1 ] tag mockdirector description "any"
set service md-tcp-50001 protocol tcp port 50001 tag mockdirector
set service md-tcp-50002 protocol tcp port 50002 tag mockdirector
set service md-tcp-50003 protocol tcp port 50003 tag mockdirector
set address md-dst-edge-internal-1 ip-netmask 198.51.100.20/32 tag mockdirector
set address-group md-dst-edge-internal static [ md-dst-edge-internal-1 ] tag mockdirector description "edge-internal (edge-int.contoso.local)"
set address md-src-frontend-1 ip-netmask 203.0.113.31/32 tag mockdirector
set address md-src-frontend-2 ip-netmask 203.0.113.32/32 tag mockdirector
set address-group md-src-frontend static [ md-src-frontend-1 md-src-frontend-2 ] tag mockdirector description "frontend (fe-pool.contoso.local)"
set address md-dst-pki-1 ip-netmask 203.0.113.40/32 tag mockdirector
set address-group md-dst-pki static [ md-dst-pki-1 ] tag mockdirector description "pki (pki.contoso.com)"
set rulebase security rules md-001-tcp-8080 from any to any source md-src-reverse-proxy-internal destination md-dst-director source-user any category any application any service md-tcp-8080 action allow tag mockdirector description "reverse-proxy-internal->director tcp/8080 http: External web services: the reverse proxy publishes external 80 to Director HLB VIP 8080."
set rulebase security rules md-002-tcp-4443 from any to any source md-src-reverse-proxy-internal destination md-dst-director source-user any category any application any service md-tcp-4443 action allow tag mockdirector description "reverse-proxy-internal->director tcp/4443 https: External web services: the reverse proxy publishes external 443 to Director HLB VIP 4443 (forward the Host header)."
set rulebase security rules md-003-tcp-444 from any to any source md-src-director destination md-dst-frontend source-user any category any application any service md-tcp-444 action allow tag mockdirector description "director->frontend tcp/444 https: Inter-server communication between the Director and the Front End Servers."
set rulebase security rules md-004-tcp-80 from any to any source md-src-internal-clients destination md-dst-director source-user any category any application any service md-tcp-80 action allow tag mockdirector description "internal-clients->director tcp/80 http: The Director provides web services to internal clients."
set rulebase security rules md-005-tcp-443 from any to any source md-src-internal-clients destination md-dst-director source-user any category any application any service md-tcp-443 action allow tag mockdirector description "internal-clients->director tcp/443 https: The Director provides web services to internal clients."
set rulebase security rules md-006-tcp-5061 from any to any source md-src-edge-internal destination md-dst-director source-user any category any application any service md-tcp-5061 action allow tag mockdirector description "edge-internal->director tcp/5061 sip-mtls: SIP from the Edge Server internal interface to the Director."
set rulebase security rules md-007-tcp-50001 from any to any source md-src-any destination md-dst-director source-user any category any application any service md-tcp-50001 action allow tag mockdirector description "any->director tcp/50001 cls-mtls: Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection."
set rulebase security rules md-008-tcp-50002 from any to any source md-src-any destination md-dst-director source-user any category any application any service md-tcp-50002 action allow tag mockdirector description "any->director tcp/50002 cls-mtls: Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection."
set rulebase security rules md-009-tcp-50003 from any to any source md-src-any destination md-dst-director source-user any category any application any service md-tcp-50003 action allow tag mockdirector description "any->director tcp/50003 cls-mtls: Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection."
set rulebase security rules md-010-tcp-8080 from any to any source md-src-reverse-proxy-internal destination md-dst-frontend source-user any category any application any service md-tcp-8080 action allow tag mockdirector description "reverse-proxy-internal->frontend tcp/8080 http: The reverse proxy also publishes 8080 to the Front End pool web services."
set rulebase security rules md-011-tcp-4443 from any to any source md-src-reverse-proxy-internal destination md-dst-frontend source-user any category any application any service md-tcp-4443 action allow tag mockdirector description "reverse-proxy-internal->frontend tcp/4443 https: The reverse proxy also publishes 4443 to the Front End pool web services."
set rulebase security rules md-012-tcp-5061 from any to any source md-src-edge-internal destination md-dst-frontend source-user any category any application any service md-tcp-5061 action allow tag mockdirector description "edge-internal->frontend tcp/5061 sip-mtls: SIP/MTLS from the Edge Server internal interface to the Front End pool."
set rulebase security rules md-013-tcp-5061 from any to any source md-src-director destination md-dst-edge-internal source-user any category any application any service md-tcp-5061 action allow tag mockdirector description "director->edge-internal tcp/5061 sip-mtls: SIP/MTLS from the Director back to the Edge Server internal interface."
set rulebase security rules md-014-tcp-5061 from any to any source md-src-frontend destination md-dst-edge-internal source-user any category any application any service md-tcp-5061 action allow tag mockdirector description "frontend->edge-internal tcp/5061 sip-mtls: SIP/MTLS from the Front End pool back to the Edge Server internal interface."
set rulebase security rules md-015-tcp-80 from any to any source md-src-edge-internal destination md-dst-pki source-user any category any application any service md-tcp-80 action allow tag mockdirector description "edge-internal->pki tcp/80 http: Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Edge in the perimeter checks the revocation of the Director's and Front End's certificates on MTLS (5061): their CDP (HTTP 80 on the PKI host) must be reachable from the perimeter, or MTLS fails."
set rulebase security rules md-016-tcp-80 from any to any source md-src-director destination md-dst-pki source-user any category any application any service md-tcp-80 action allow tag mockdirector description "director->pki tcp/80 http: Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Director checks the revocation of the Edge's and Front End's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host)."
set rulebase security rules md-017-tcp-80 from any to any source md-src-frontend destination md-dst-pki source-user any category any application any service md-tcp-80 action allow tag mockdirector description "frontend->pki tcp/80 http: Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Front End checks the revocation of the Edge's and Director's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host)."
set rulebase security rules md-deny-all from any to any source any destination any source-user any category any application any service any action deny log-end yes tag mockdirector description "default deny: everything the table does not allow"
move rulebase security rules md-deny-all bottom
