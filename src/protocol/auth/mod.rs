//! Authentication (Basic, NTLM/Negotiate/Kerberos through `sspi`) as step functions, and sealing of WinRM message bodies.
