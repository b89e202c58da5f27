# mockdirector firewall export --format windows
# table: builtin:lync2013-single-director; topology: ../../topology/lab.yaml; 17 rules, one per allow row of the table.
# Everything else is denied. Each rule carries its row ID, the name the row has in
# mockdirector probe and report, so a failing row points at its rule.
# The host firewall of each server role: run elevated on every server of the role, e.g.
#   powershell -ExecutionPolicy Bypass -File .\mockdirector-firewall.ps1 -Role director
# It removes the rules of its group from an earlier run, adds one inbound allow rule per row,
# and sets the default inbound action to Block. Lync/Skype setup adds inbound rules of its own
# that may allow from any address: review them (Get-NetFirewallRule -Direction Inbound
# -Enabled True -Action Allow), or the host stays wider than the table.
param([Parameter(Mandatory = $true)][ValidateSet('director', 'frontend', 'edge-internal', 'pki')][string]$Role)
$ErrorActionPreference = 'Stop'

# ===== director (dir-pool.contoso.local): on dir01.contoso.local =====
if ($Role -eq 'director') {
    Get-NetFirewallRule -Group 'mockdirector director' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    # rule 1: reverse-proxy-internal -> director (dir-pool.contoso.local) tcp/8080 http, origin seed
    # External web services: the reverse proxy publishes external 80 to Director HLB VIP 8080.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'reverse-proxy-internal->director tcp/8080 http' -Description 'External web services: the reverse proxy publishes external 80 to Director HLB VIP 8080. (mockdirector rule 1, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 8080 -RemoteAddress 127.0.1.10 | Out-Null
    # rule 2: reverse-proxy-internal -> director (dir-pool.contoso.local) tcp/4443 https, origin seed
    # External web services: the reverse proxy publishes external 443 to Director HLB VIP 4443 (forward the Host header).
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'reverse-proxy-internal->director tcp/4443 https' -Description 'External web services: the reverse proxy publishes external 443 to Director HLB VIP 4443 (forward the Host header). (mockdirector rule 2, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 4443 -RemoteAddress 127.0.1.10 | Out-Null
    # rule 4: internal-clients -> director (dir-pool.contoso.local) tcp/80 http, origin seed
    # The Director provides web services to internal clients.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'internal-clients->director tcp/80 http' -Description 'The Director provides web services to internal clients. (mockdirector rule 4, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 80 -RemoteAddress 127.0.2.0/24 | Out-Null
    # rule 5: internal-clients -> director (dir-pool.contoso.local) tcp/443 https, origin seed
    # The Director provides web services to internal clients.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'internal-clients->director tcp/443 https' -Description 'The Director provides web services to internal clients. (mockdirector rule 5, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 443 -RemoteAddress 127.0.2.0/24 | Out-Null
    # rule 6: edge-internal (edge-int.contoso.local) -> director (dir-pool.contoso.local) tcp/5061 sip-mtls, origin seed
    # SIP from the Edge Server internal interface to the Director.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'edge-internal->director tcp/5061 sip-mtls' -Description 'SIP from the Edge Server internal interface to the Director. (mockdirector rule 6, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 5061 -RemoteAddress 127.0.0.4 | Out-Null
    # rule 7: any -> director (dir-pool.contoso.local) tcp/50001 cls-mtls, origin seed
    # Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'any->director tcp/50001 cls-mtls' -Description 'Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 7, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 50001 -RemoteAddress 127.0.3.10 | Out-Null
    # rule 8: any -> director (dir-pool.contoso.local) tcp/50002 cls-mtls, origin seed
    # Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'any->director tcp/50002 cls-mtls' -Description 'Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 8, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 50002 -RemoteAddress 127.0.3.10 | Out-Null
    # rule 9: any -> director (dir-pool.contoso.local) tcp/50003 cls-mtls, origin seed
    # Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection.
    New-NetFirewallRule -Group 'mockdirector director' -DisplayName 'any->director tcp/50003 cls-mtls' -Description 'Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 9, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 50003 -RemoteAddress 127.0.3.10 | Out-Null
    Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
    Write-Host "mockdirector: inbound rules of the table set for role director"
}

# ===== frontend (fe-pool.contoso.local): on fe01.contoso.local =====
if ($Role -eq 'frontend') {
    Get-NetFirewallRule -Group 'mockdirector frontend' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    # rule 3: director (dir-pool.contoso.local) -> frontend (fe-pool.contoso.local) tcp/444 https, origin seed
    # Inter-server communication between the Director and the Front End Servers.
    New-NetFirewallRule -Group 'mockdirector frontend' -DisplayName 'director->frontend tcp/444 https' -Description 'Inter-server communication between the Director and the Front End Servers. (mockdirector rule 3, origin seed)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 444 -RemoteAddress 127.0.0.2 | Out-Null
    # rule 10: reverse-proxy-internal -> frontend (fe-pool.contoso.local) tcp/8080 http, origin text
    # The reverse proxy also publishes 8080 to the Front End pool web services.
    New-NetFirewallRule -Group 'mockdirector frontend' -DisplayName 'reverse-proxy-internal->frontend tcp/8080 http' -Description 'The reverse proxy also publishes 8080 to the Front End pool web services. (mockdirector rule 10, origin text)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 8080 -RemoteAddress 127.0.1.10 | Out-Null
    # rule 11: reverse-proxy-internal -> frontend (fe-pool.contoso.local) tcp/4443 https, origin text
    # The reverse proxy also publishes 4443 to the Front End pool web services.
    New-NetFirewallRule -Group 'mockdirector frontend' -DisplayName 'reverse-proxy-internal->frontend tcp/4443 https' -Description 'The reverse proxy also publishes 4443 to the Front End pool web services. (mockdirector rule 11, origin text)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 4443 -RemoteAddress 127.0.1.10 | Out-Null
    # rule 12: edge-internal (edge-int.contoso.local) -> frontend (fe-pool.contoso.local) tcp/5061 sip-mtls, origin text
    # SIP/MTLS from the Edge Server internal interface to the Front End pool.
    New-NetFirewallRule -Group 'mockdirector frontend' -DisplayName 'edge-internal->frontend tcp/5061 sip-mtls' -Description 'SIP/MTLS from the Edge Server internal interface to the Front End pool. (mockdirector rule 12, origin text)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 5061 -RemoteAddress 127.0.0.4 | Out-Null
    Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
    Write-Host "mockdirector: inbound rules of the table set for role frontend"
}

# ===== edge-internal (edge-int.contoso.local): on edge01-int.contoso.local =====
if ($Role -eq 'edge-internal') {
    Get-NetFirewallRule -Group 'mockdirector edge-internal' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    # rule 13: director (dir-pool.contoso.local) -> edge-internal (edge-int.contoso.local) tcp/5061 sip-mtls, origin text
    # SIP/MTLS from the Director back to the Edge Server internal interface.
    New-NetFirewallRule -Group 'mockdirector edge-internal' -DisplayName 'director->edge-internal tcp/5061 sip-mtls' -Description 'SIP/MTLS from the Director back to the Edge Server internal interface. (mockdirector rule 13, origin text)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 5061 -RemoteAddress 127.0.0.2 | Out-Null
    # rule 14: frontend (fe-pool.contoso.local) -> edge-internal (edge-int.contoso.local) tcp/5061 sip-mtls, origin text
    # SIP/MTLS from the Front End pool back to the Edge Server internal interface.
    New-NetFirewallRule -Group 'mockdirector edge-internal' -DisplayName 'frontend->edge-internal tcp/5061 sip-mtls' -Description 'SIP/MTLS from the Front End pool back to the Edge Server internal interface. (mockdirector rule 14, origin text)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 5061 -RemoteAddress 127.0.0.3 | Out-Null
    Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
    Write-Host "mockdirector: inbound rules of the table set for role edge-internal"
}

# ===== pki (pki.contoso.com): on pki01.contoso.com =====
if ($Role -eq 'pki') {
    Get-NetFirewallRule -Group 'mockdirector pki' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    # rule 15: edge-internal (edge-int.contoso.local) -> pki (pki.contoso.com) tcp/80 http, origin certificate requirement
    # Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Edge in the perimeter checks the revocation of the Director's and Front End's certificates on MTLS (5061): their CDP (HTTP 80 on the PKI host) must be reachable from the perimeter, or MTLS fails.
    New-NetFirewallRule -Group 'mockdirector pki' -DisplayName 'edge-internal->pki tcp/80 http' -Description 'Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Edge in the perimeter checks the revocation of the Director''s and Front End''s certificates on MTLS (5061): their CDP (HTTP 80 on the PKI host) must be reachable from the perimeter, or MTLS fails. (mockdirector rule 15, origin certificate requirement)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 80 -RemoteAddress 127.0.0.4 | Out-Null
    # rule 16: director (dir-pool.contoso.local) -> pki (pki.contoso.com) tcp/80 http, origin certificate requirement
    # Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Director checks the revocation of the Edge's and Front End's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host).
    New-NetFirewallRule -Group 'mockdirector pki' -DisplayName 'director->pki tcp/80 http' -Description 'Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Director checks the revocation of the Edge''s and Front End''s certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host). (mockdirector rule 16, origin certificate requirement)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 80 -RemoteAddress 127.0.0.2 | Out-Null
    # rule 17: frontend (fe-pool.contoso.local) -> pki (pki.contoso.com) tcp/80 http, origin certificate requirement
    # Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Front End checks the revocation of the Edge's and Director's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host).
    New-NetFirewallRule -Group 'mockdirector pki' -DisplayName 'frontend->pki tcp/80 http' -Description 'Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point (CDP)." The Front End checks the revocation of the Edge''s and Director''s certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host). (mockdirector rule 17, origin certificate requirement)' -Direction Inbound -Action Allow -Profile Any -Protocol TCP -LocalPort 80 -RemoteAddress 127.0.0.3 | Out-Null
    # The PKI web server serves more than the table's CDP/AIA path: its default inbound action is left as it is (the rules above only make sure the MTLS peers reach its CRL).
    Write-Host "mockdirector: inbound rules of the table set for role pki"
}

<#
The same with netsh advfirewall (cmd.exe, elevated), per role:

:: director (dir-pool.contoso.local): on dir01.contoso.local
netsh advfirewall firewall delete rule name="reverse-proxy-internal->director tcp/8080 http"
netsh advfirewall firewall add rule name="reverse-proxy-internal->director tcp/8080 http" dir=in action=allow profile=any protocol=TCP localport=8080 remoteip=127.0.1.10 description="External web services: the reverse proxy publishes external 80 to Director HLB VIP 8080. (mockdirector rule 1, origin seed)"
netsh advfirewall firewall delete rule name="reverse-proxy-internal->director tcp/4443 https"
netsh advfirewall firewall add rule name="reverse-proxy-internal->director tcp/4443 https" dir=in action=allow profile=any protocol=TCP localport=4443 remoteip=127.0.1.10 description="External web services: the reverse proxy publishes external 443 to Director HLB VIP 4443 (forward the Host header). (mockdirector rule 2, origin seed)"
netsh advfirewall firewall delete rule name="internal-clients->director tcp/80 http"
netsh advfirewall firewall add rule name="internal-clients->director tcp/80 http" dir=in action=allow profile=any protocol=TCP localport=80 remoteip=127.0.2.0/24 description="The Director provides web services to internal clients. (mockdirector rule 4, origin seed)"
netsh advfirewall firewall delete rule name="internal-clients->director tcp/443 https"
netsh advfirewall firewall add rule name="internal-clients->director tcp/443 https" dir=in action=allow profile=any protocol=TCP localport=443 remoteip=127.0.2.0/24 description="The Director provides web services to internal clients. (mockdirector rule 5, origin seed)"
netsh advfirewall firewall delete rule name="edge-internal->director tcp/5061 sip-mtls"
netsh advfirewall firewall add rule name="edge-internal->director tcp/5061 sip-mtls" dir=in action=allow profile=any protocol=TCP localport=5061 remoteip=127.0.0.4 description="SIP from the Edge Server internal interface to the Director. (mockdirector rule 6, origin seed)"
netsh advfirewall firewall delete rule name="any->director tcp/50001 cls-mtls"
netsh advfirewall firewall add rule name="any->director tcp/50001 cls-mtls" dir=in action=allow profile=any protocol=TCP localport=50001 remoteip=127.0.3.10 description="Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 7, origin seed)"
netsh advfirewall firewall delete rule name="any->director tcp/50002 cls-mtls"
netsh advfirewall firewall add rule name="any->director tcp/50002 cls-mtls" dir=in action=allow profile=any protocol=TCP localport=50002 remoteip=127.0.3.10 description="Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 8, origin seed)"
netsh advfirewall firewall delete rule name="any->director tcp/50003 cls-mtls"
netsh advfirewall firewall add rule name="any->director tcp/50003 cls-mtls" dir=in action=allow profile=any protocol=TCP localport=50003 remoteip=127.0.3.10 description="Centralized Logging Service controller (ClsController.exe) or agent (ClsAgent.exe) commands and log collection. (mockdirector rule 9, origin seed)"
netsh advfirewall set allprofiles state on
netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound

:: frontend (fe-pool.contoso.local): on fe01.contoso.local
netsh advfirewall firewall delete rule name="director->frontend tcp/444 https"
netsh advfirewall firewall add rule name="director->frontend tcp/444 https" dir=in action=allow profile=any protocol=TCP localport=444 remoteip=127.0.0.2 description="Inter-server communication between the Director and the Front End Servers. (mockdirector rule 3, origin seed)"
netsh advfirewall firewall delete rule name="reverse-proxy-internal->frontend tcp/8080 http"
netsh advfirewall firewall add rule name="reverse-proxy-internal->frontend tcp/8080 http" dir=in action=allow profile=any protocol=TCP localport=8080 remoteip=127.0.1.10 description="The reverse proxy also publishes 8080 to the Front End pool web services. (mockdirector rule 10, origin text)"
netsh advfirewall firewall delete rule name="reverse-proxy-internal->frontend tcp/4443 https"
netsh advfirewall firewall add rule name="reverse-proxy-internal->frontend tcp/4443 https" dir=in action=allow profile=any protocol=TCP localport=4443 remoteip=127.0.1.10 description="The reverse proxy also publishes 4443 to the Front End pool web services. (mockdirector rule 11, origin text)"
netsh advfirewall firewall delete rule name="edge-internal->frontend tcp/5061 sip-mtls"
netsh advfirewall firewall add rule name="edge-internal->frontend tcp/5061 sip-mtls" dir=in action=allow profile=any protocol=TCP localport=5061 remoteip=127.0.0.4 description="SIP/MTLS from the Edge Server internal interface to the Front End pool. (mockdirector rule 12, origin text)"
netsh advfirewall set allprofiles state on
netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound

:: edge-internal (edge-int.contoso.local): on edge01-int.contoso.local
netsh advfirewall firewall delete rule name="director->edge-internal tcp/5061 sip-mtls"
netsh advfirewall firewall add rule name="director->edge-internal tcp/5061 sip-mtls" dir=in action=allow profile=any protocol=TCP localport=5061 remoteip=127.0.0.2 description="SIP/MTLS from the Director back to the Edge Server internal interface. (mockdirector rule 13, origin text)"
netsh advfirewall firewall delete rule name="frontend->edge-internal tcp/5061 sip-mtls"
netsh advfirewall firewall add rule name="frontend->edge-internal tcp/5061 sip-mtls" dir=in action=allow profile=any protocol=TCP localport=5061 remoteip=127.0.0.3 description="SIP/MTLS from the Front End pool back to the Edge Server internal interface. (mockdirector rule 14, origin text)"
netsh advfirewall set allprofiles state on
netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound

:: pki (pki.contoso.com): on pki01.contoso.com
netsh advfirewall firewall delete rule name="edge-internal->pki tcp/80 http"
netsh advfirewall firewall add rule name="edge-internal->pki tcp/80 http" dir=in action=allow profile=any protocol=TCP localport=80 remoteip=127.0.0.4 description="Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Edge in the perimeter checks the revocation of the Director's and Front End's certificates on MTLS (5061): their CDP (HTTP 80 on the PKI host) must be reachable from the perimeter, or MTLS fails. (mockdirector rule 15, origin certificate requirement)"
netsh advfirewall firewall delete rule name="director->pki tcp/80 http"
netsh advfirewall firewall add rule name="director->pki tcp/80 http" dir=in action=allow profile=any protocol=TCP localport=80 remoteip=127.0.0.2 description="Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Director checks the revocation of the Edge's and Front End's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host). (mockdirector rule 16, origin certificate requirement)"
netsh advfirewall firewall delete rule name="frontend->pki tcp/80 http"
netsh advfirewall firewall add rule name="frontend->pki tcp/80 http" dir=in action=allow profile=any protocol=TCP localport=80 remoteip=127.0.0.3 description="Microsoft, 'Certificate infrastructure requirements for Lync Server 2013': 'All server certificates must contain a CRL Distribution Point (CDP).' The Front End checks the revocation of the Edge's and Director's certificates on MTLS: it must reach their CDP (HTTP 80 on the PKI host). (mockdirector rule 17, origin certificate requirement)"
:: The PKI web server serves more than the table's CDP/AIA path: its default inbound action is left as it is (the rules above only make sure the MTLS peers reach its CRL).
#>
