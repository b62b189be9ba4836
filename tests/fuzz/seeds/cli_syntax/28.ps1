Disconnect-PSSession : A parameter cannot be found that matches parameter name 'Foo'.
         At line:1 char:22
         + Disconnect-PSSession -Foo 1
         +                      ~~~~
             + CategoryInfo          : InvalidArgument: (:) [Disconnect-PSSession], ParameterBindingException
             + FullyQualifiedErrorId : NamedParameterNotFound,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand
